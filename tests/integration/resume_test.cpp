// Resume across reconnects, with two real gateway processes on one real redis-server: a client
// that read messages 1..k on instance A and comes back on instance B with the last id it saw gets
// exactly k+1..n, in order, then live traffic; an unknown id gets a resync and the last-state
// replay; a filtered socket resumes only its project; the window stays within its byte bound.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway_process.hpp"
#include "redis_server.hpp"
#include "test_support.hpp"
#include "ws_client.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;

// A notification numbered `n`; with `with_id`, the publisher names it "n<n>".
std::string numbered(int n, bool with_id = false) {
    json m = {{"type", "notification"}, {"payload", {{"seq", n}}}};
    if (with_id) m["id"] = "n" + std::to_string(n);
    return m.dump();
}

class ResumeTest : public ::testing::Test {
protected:
    RedisServer redis_;
    // Two I/O threads each, sharing one window.
    // The window's per-user bound and the send queue's message bound are raised above the most
    // any test publishes to one user: the seam test's publisher does not wait for its reader, and
    // a reader starved on a loaded machine would otherwise fall more than 256 messages behind
    // (its evicted last id then, correctly, gets a resync) or more than 1024 (it is, correctly,
    // closed as a slow consumer). Both bounds are tested with their own settings elsewhere.
    static std::map<std::string, std::string> env() {
        return {{"WSGW_THREADS", "2"},
                {"WSGW_RESUME_MAX_MESSAGES_PER_USER", "4096"},
                {"WSGW_SEND_QUEUE_MAX_MESSAGES", "4096"}};
    }
    GatewayProcess a_{redis_.url(), env()};
    GatewayProcess b_{redis_.url(), env()};
};

TEST_F(ResumeTest, ResumesOnAnotherInstanceWithExactlyWhatWasMissedThenLiveTraffic) {
    auto user = unique_user("res");
    std::string last_id;
    {
        WsClient on_a;
        ASSERT_TRUE(join(on_a, a_.port(), user));
        for (int i = 1; i <= 5; ++i) ASSERT_EQ(redis_.publish("user_noti:" + user, numbered(i)), 2);
        for (int i = 1; i <= 5; ++i) {
            auto g = next_message(on_a);
            ASSERT_EQ(g.seq, i);
            last_id = g.id;
        }
    }
    for (int i = 6; i <= 12; ++i) ASSERT_EQ(redis_.publish("user_noti:" + user, numbered(i)), 2);
    // All twelve in b's window (once each, whatever its thread count) before the client comes.
    ASSERT_TRUE(eventually([&] { return b_.metric("wsgw_resume_retained_messages") == 12; })) << b_.log();

    WsClient on_b;
    ASSERT_TRUE(on_b.connect(b_.port(), "/ws?token=" + make_token(user) + "&last_id=" + last_id));
    for (int i = 6; i <= 12; ++i) EXPECT_EQ(next_message(on_b).seq, i) << "missed message " << i;
    ASSERT_EQ(redis_.publish("user_noti:" + user, numbered(13)), 2);
    EXPECT_EQ(next_message(on_b).seq, 13) << "live traffic follows the resumed messages";
    EXPECT_TRUE(on_b.silent_for(300ms)) << "nothing twice";
    EXPECT_EQ(b_.metric("wsgw_resume_requests_total{outcome=\"hit\"}"), 1);
    EXPECT_EQ(b_.metric("wsgw_resumed_messages_total"), 7);
}

TEST_F(ResumeTest, TheSameMessageHasTheSameIdOnEveryInstance) {
    auto user = unique_user("res");
    WsClient on_a, on_b;
    ASSERT_TRUE(join(on_a, a_.port(), user));
    ASSERT_TRUE(join(on_b, b_.port(), user));
    ASSERT_EQ(redis_.publish("user_noti:" + user, numbered(1)), 2);
    auto x = next_message(on_a), y = next_message(on_b);
    EXPECT_EQ(x.id, y.id);
    EXPECT_FALSE(x.id.empty());
}

TEST_F(ResumeTest, AnUnknownIdGetsAResyncThenTheLastStateReplay) {
    auto user = unique_user("res");
    ASSERT_EQ(redis_.publish("project:p1:" + user, progress("p1", 40)), 2);
    ASSERT_EQ(redis_.publish("user_noti:" + user, numbered(1)), 2);
    ASSERT_TRUE(marker_passed(redis_, b_.port()));

    WsClient c;
    ASSERT_TRUE(c.connect(b_.port(), "/ws?token=" + make_token(user) + "&last_id=neverSeen"));
    auto first = c.next();
    ASSERT_TRUE(first);
    auto resync = json::parse(*first);
    EXPECT_EQ(resync["type"], "resync");
    EXPECT_EQ(resync["payload"]["reason"], "unknown_last_id");
    EXPECT_FALSE(resync.contains("id")) << "a resync is no message to resume from";
    auto replayed = c.next();
    ASSERT_TRUE(replayed);
    EXPECT_EQ(json::parse(*replayed)["type"], "project_progress") << "then what a fresh connection gets";
    EXPECT_TRUE(c.silent_for(300ms));
    EXPECT_EQ(b_.metric("wsgw_resume_requests_total{outcome=\"miss\"}"), 1);

    WsClient fresh;  // no last_id: no resync
    ASSERT_TRUE(fresh.connect(b_.port(), "/ws?token=" + make_token(user)));
    auto f = fresh.next();
    ASSERT_TRUE(f);
    EXPECT_EQ(json::parse(*f)["type"], "project_progress");
}

TEST_F(ResumeTest, AFilteredSocketResumesOnlyItsProjectAndUserWideMessages) {
    auto user = unique_user("res");
    ASSERT_EQ(redis_.publish("user_noti:" + user, numbered(1, true)), 2);
    ASSERT_EQ(redis_.publish("project:p1:" + user, numbered(2, true)), 2);
    ASSERT_EQ(redis_.publish("project:p2:" + user, numbered(3, true)), 2);
    ASSERT_EQ(redis_.publish("user_noti:" + user, numbered(4, true)), 2);
    ASSERT_TRUE(marker_passed(redis_, a_.port()));

    WsClient c;
    ASSERT_TRUE(c.connect(a_.port(), "/ws?token=" + make_token(user) + "&project_id=p1&last_id=n1"));
    EXPECT_EQ(next_message(c).seq, 2);
    EXPECT_EQ(next_message(c).seq, 4) << "project p2's message is not for this socket";
    EXPECT_TRUE(c.silent_for(300ms));
}

// The client left an instance that is ahead of this one: its last id reaches this instance a
// moment after the client does. Registration waits for it (resume_wait_ms), so the client gets
// exactly what follows it: no resync, nothing it already had.
TEST_F(ResumeTest, WaitsForALastIdThisInstanceHasNotReceivedYet) {
    auto user = unique_user("res");
    WsClient c;
    ASSERT_TRUE(c.connect(b_.port(), "/ws?token=" + make_token(user) + "&last_id=n5"));
    for (int i = 1; i <= 10; ++i) ASSERT_EQ(redis_.publish("user_noti:" + user, numbered(i, true)), 2);
    for (int i = 6; i <= 10; ++i) {
        auto g = next_message(c);
        ASSERT_EQ(g.type, "notification") << "a resync or nothing instead of message " << i;
        EXPECT_EQ(g.seq, i);
    }
    EXPECT_TRUE(c.silent_for(300ms));
    EXPECT_EQ(b_.metric("wsgw_resume_requests_total{outcome=\"hit\"}"), 1);
}

TEST_F(ResumeTest, RefusesAMalformedLastId) {
    WsClient c;
    EXPECT_FALSE(c.connect(a_.port(), "/ws?token=" + make_token(unique_user()) + "&last_id=a%20b"));
    EXPECT_EQ(c.refused_status(), 400);
    EXPECT_NE(c.refused_body().find("last_id"), std::string::npos) << c.refused_body();
}

// A reconnect while messages keep coming: every message is received exactly once, in order,
// across the disconnect, the move to another instance, and the seam between resumed and live.
TEST_F(ResumeTest, ResumingWhilePublishingContinuesLosesAndDoublesNothing) {
    auto user = unique_user("res");
    constexpr int kTotal = 2000;
    const auto run = read_across_a_resume(a_.port(), b_.port(), user, kTotal, 500, [&](int i) {
        // Both instances subscribe the patterns.
        const auto receivers = redis_.publish("user_noti:" + user, numbered(i, true));
        return receivers == 2 ? std::string() : "PUBLISH reached " + std::to_string(receivers) + " subscribers";
    });
    EXPECT_TRUE(every_message_once(run, kTotal));
}

// A client back after missing more than its send queue holds: what it missed is a backlog the
// queue takes on top of its bounds, not a slow consumer to close (which would reconnect with the
// same id and be closed again).
// How long a socket resuming from `last_id` waits for its first frame, which must be a resync.
std::chrono::milliseconds time_to_resync(std::uint16_t port, const std::string& user, const std::string& last_id) {
    WsClient c;
    const auto started = std::chrono::steady_clock::now();
    if (!c.connect(port, "/ws?token=" + make_token(user) + "&last_id=" + last_id)) return 1h;
    auto g = next_message(c, 6s);
    if (g.type != "resync") return 1h;
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
}

// The wait for a last_id is for ids that may not have arrived yet. An id this instance held and
// evicted, or any id with resume switched off, will never arrive: its resync comes at once.
TEST(ResumeBoundsTest, AnIdThatCannotBeResumedGetsItsResyncAtOnce) {
    RedisServer redis;
    GatewayProcess small(redis.url(), {{"WSGW_RESUME_WAIT_MS", "3000"}, {"WSGW_RESUME_MAX_MESSAGES_PER_USER", "2"}});
    GatewayProcess off(redis.url(), {{"WSGW_RESUME_WAIT_MS", "3000"}, {"WSGW_RESUME_WINDOW_S", "0"}});
    auto user = unique_user("res");
    WsClient live;
    ASSERT_TRUE(join(live, small.port(), user));
    std::vector<std::string> ids;
    for (int i = 1; i <= 5; ++i) ASSERT_EQ(redis.publish("user_noti:" + user, numbered(i)), 2);
    for (int i = 1; i <= 5; ++i) ids.push_back(next_message(live).id);
    ASSERT_FALSE(ids.front().empty());

    EXPECT_LT(time_to_resync(small.port(), user, ids.front()), 1500ms) << "an evicted id was waited for";
    EXPECT_LT(time_to_resync(off.port(), user, ids.back()), 1500ms) << "with resume off, the wait is for nothing";
    const auto unknown = time_to_resync(small.port(), user, "notArrivedYet");
    EXPECT_GE(unknown, 2500ms) << "an id never seen is still waited for";
    EXPECT_LT(unknown, 1h) << "and then resynced";
}

TEST(ResumeBoundsTest, AResumeLargerThanTheSendQueueIsDeliveredWhole) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_THREADS", "1"},
                                    {"WSGW_SEND_QUEUE_MAX_MESSAGES", "64"},
                                    {"WSGW_SEND_QUEUE_MAX_BYTES", "4096"},
                                    {"WSGW_RESUME_MAX_MESSAGES_PER_USER", "1000"}});
    auto user = unique_user("res");
    constexpr int kTotal = 500;  // frames of ~90 bytes: 8 times the message bound, ~10 times the byte bound
    for (int i = 1; i <= kTotal; ++i) ASSERT_EQ(redis.publish("user_noti:" + user, numbered(i, true)), 1);
    ASSERT_TRUE(marker_passed(redis, gw.port()));

    WsClient c;
    ASSERT_TRUE(c.connect(gw.port(), "/ws?token=" + make_token(user) + "&last_id=n1"));
    for (int i = 2; i <= kTotal; ++i) {
        auto g = next_message(c);
        ASSERT_EQ(g.seq, i) << "a " << g.type << " instead; closed: " << c.closed() << "\n" << gw.log();
    }
    EXPECT_TRUE(c.silent_for(200ms));
    EXPECT_FALSE(c.closed());
    EXPECT_EQ(gw.metric("wsgw_resumed_messages_total"), kTotal - 1);
    EXPECT_EQ(gw.log().find("\"event\":\"slow_consumer\""), std::string::npos);
}

// One window for the process: each message is filed once whatever the number of I/O threads,
// and a socket resuming on any thread gets exactly what it missed, then live traffic, once.
TEST(ResumeSharedWindowTest, FilesEachMessageOnceAndResumesOnEveryThread) {
    RedisServer redis;
    constexpr int kThreads = 4;
    GatewayProcess gw(redis.url(), {{"WSGW_THREADS", std::to_string(kThreads)}});
    const auto user = unique_user("shw");
    std::string last_id;
    {
        WsClient first;
        ASSERT_TRUE(first.connect(gw.port(), "/ws?token=" + make_token(user)));
        ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_connections") == 1; }));
        for (int i = 1; i <= 10; ++i) ASSERT_EQ(redis.publish("user_noti:" + user, numbered(i)), 1);
        for (int i = 1; i <= 10; ++i) {
            auto g = next_message(first);
            ASSERT_EQ(g.seq, i);
            last_id = g.id;
        }
    }
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_connections") == 0; }));
    // With nobody connected, these are kept raw and validated when a resume reads them.
    for (int i = 11; i <= 20; ++i) ASSERT_EQ(redis.publish("user_noti:" + user, numbered(i)), 1);
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_resume_retained_messages") == 20; }))
        << "each message once, not once per thread: " << gw.metric("wsgw_resume_retained_messages");

    // Sockets are spread over the threads in turn: twice as many as threads reach every one.
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int k = 0; k < 2 * kThreads; ++k) {
        clients.push_back(std::make_unique<WsClient>());
        ASSERT_TRUE(clients.back()->connect(gw.port(), "/ws?token=" + make_token(user) + "&last_id=" + last_id));
    }
    for (auto& c : clients)
        for (int i = 11; i <= 20; ++i) ASSERT_EQ(next_message(*c).seq, i) << "missed message " << i;
    ASSERT_EQ(redis.publish("user_noti:" + user, numbered(21)), 1);
    for (auto& c : clients) {
        EXPECT_EQ(next_message(*c).seq, 21);
        EXPECT_TRUE(c->silent_for(100ms)) << "nothing twice";
    }
    EXPECT_EQ(gw.metric("wsgw_resume_retained_messages"), 21);
    EXPECT_EQ(gw.metric("wsgw_resumed_messages_total"), 10 * 2 * kThreads);
}

TEST(ResumeBoundsTest, TheByteBoundHoldsWithTenThousandUsersPublishing) {
    RedisServer redis;
    constexpr long long kBound = 1 << 20;
    GatewayProcess gw(redis.url(), {{"WSGW_RESUME_MAX_BYTES", std::to_string(kBound)}});
    const std::string padding(300, 'x');
    for (int i = 0; i < 10'000; ++i)
        redis.publish("user_noti:bulk" + std::to_string(i),
                      json{{"type", "notification"}, {"payload", {{"note", padding}}}}.dump());
    ASSERT_TRUE(marker_passed(redis, gw.port())) << "every bulk message has been through the window";
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_resume_retained_bytes") > 0; }));
    EXPECT_LE(gw.metric("wsgw_resume_retained_bytes"), kBound);
    EXPECT_GT(gw.metric("wsgw_resume_evictions_total"), 0);
    EXPECT_GT(gw.metric("wsgw_resume_retained_messages"), 100) << "the window still holds the newest";
}

}  // namespace
}  // namespace wsgw::test
