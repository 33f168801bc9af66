// Sharded mode (redis_pubsub_mode = sharded) on one real Redis 7: publishers call FCALL
// wsgw_publish; each instance subscribes the shard channels of its own users only, and resume and
// the latest state come from the users' streams, so they survive a restart of every instance.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "gateway_process.hpp"
#include "redis_server.hpp"
#include "sse_client.hpp"
#include "test_support.hpp"
#include "ws_client.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;

std::string numbered(int n) { return json{{"type", "notification"}, {"payload", {{"seq", n}}}}.dump(); }

// The next `projects` frames of a socket's latest state, which must each be a project's
// progress: the `done` each one carries, by project.
std::map<std::string, int> latest_progress(WsClient& c, int projects) {
    std::map<std::string, int> latest;
    for (int i = 0; i < projects; ++i) {
        auto g = next_message(c);
        if (g.type != "project_progress") {
            ADD_FAILURE() << "frame " << i << " of the latest state is a " << g.type;
            break;
        }
        latest[g.payload["project_id"]] = g.payload["done"];
    }
    return latest;
}

std::map<std::string, std::string> sharded_env(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env{{"WSGW_REDIS_PUBSUB_MODE", "sharded"},
                                           {"WSGW_THREADS", "2"},
                                           {"WSGW_REDIS_RECONNECT_MIN_MS", "50"},
                                           {"WSGW_REDIS_RECONNECT_MAX_MS", "300"}};
    for (auto& [k, v] : extra) env[k] = v;
    return env;
}

class ShardedTest : public ::testing::Test {
protected:
    std::string publish(const std::string& user, int n) { return redis_.fcall_publish(user, "user_noti:" + user, numbered(n)); }
    // Waits until the function library is on the server (the first gateway loads it as it starts).
    void library_loaded() {
        ASSERT_TRUE(eventually([&] { return publish("probe-user", 0).find('-') != std::string::npos; }))
            << "wsgw_publish never became callable";
    }

    RedisServer redis_;
};

TEST_F(ShardedTest, AnInstanceReceivesOnlyTheMessagesOfUsersWithASocketOnIt) {
    GatewayProcess a(redis_.url(), sharded_env()), b(redis_.url(), sharded_env());
    library_loaded();
    const auto here = unique_user("sh"), elsewhere = unique_user("sh");
    WsClient c;
    ASSERT_TRUE(join(c, a.port(), here));
    const auto a_before = messages_received(a), b_before = messages_received(b);
    for (int i = 1; i <= 3; ++i) ASSERT_NE(publish(here, i).find('-'), std::string::npos);
    for (int i = 1; i <= 5; ++i) ASSERT_NE(publish(elsewhere, i).find('-'), std::string::npos);
    for (int i = 1; i <= 3; ++i) EXPECT_EQ(next_message(c).seq, i);
    EXPECT_TRUE(c.silent_for(300ms));
    EXPECT_EQ(messages_received(a) - a_before, 3) << "only its own user's three";
    EXPECT_EQ(messages_received(b) - b_before, 0) << "an instance without sockets receives nothing";
    EXPECT_EQ(a.metric("wsgw_shard_subscriptions"), 1);
    EXPECT_EQ(b.metric("wsgw_shard_subscriptions"), 0);
}

TEST_F(ShardedTest, TheMessageIdIsTheStreamIdTheCallReturned) {
    GatewayProcess a(redis_.url(), sharded_env());
    library_loaded();
    const auto user = unique_user("sh");
    WsClient c;
    ASSERT_TRUE(join(c, a.port(), user));
    // Byte-identical twice: two ids all the same.
    const auto first = redis_.fcall_publish(user, "user_noti:" + user, numbered(7));
    const auto second = redis_.fcall_publish(user, "user_noti:" + user, numbered(7));
    EXPECT_NE(first, second);
    EXPECT_EQ(next_message(c).id, first);
    EXPECT_EQ(next_message(c).id, second);
}

TEST_F(ShardedTest, ResumesOnAnotherInstanceWithExactlyWhatWasMissed) {
    GatewayProcess a(redis_.url(), sharded_env()), b(redis_.url(), sharded_env());
    library_loaded();
    const auto user = unique_user("sh");
    std::string last_id;
    {
        WsClient on_a;
        ASSERT_TRUE(join(on_a, a.port(), user));
        for (int i = 1; i <= 5; ++i) publish(user, i);
        for (int i = 1; i <= 5; ++i) {
            auto g = next_message(on_a);
            ASSERT_EQ(g.seq, i);
            last_id = g.id;
        }
    }
    for (int i = 6; i <= 12; ++i) publish(user, i);
    WsClient on_b;
    ASSERT_TRUE(on_b.connect(b.port(), "/ws?token=" + make_token(user) + "&last_id=" + last_id));
    for (int i = 6; i <= 12; ++i) EXPECT_EQ(next_message(on_b).seq, i) << "missed message " << i;
    publish(user, 13);
    EXPECT_EQ(next_message(on_b).seq, 13) << "live traffic follows";
    EXPECT_TRUE(on_b.silent_for(300ms)) << "nothing twice";
    EXPECT_EQ(b.metric("wsgw_resume_requests_total{outcome=\"hit\"}"), 1);
    EXPECT_EQ(b.metric("wsgw_stream_reads_total{result=\"resumed\"}"), 1);
    EXPECT_EQ(a.metric("wsgw_resume_retained_messages"), 0) << "the in-memory window is not used in this mode";
    EXPECT_EQ(b.metric("wsgw_resume_retained_messages"), 0);
}

// What a browser's EventSource sends by itself on reconnect: Last-Event-ID, read from the stream.
TEST_F(ShardedTest, AnEventStreamResumesFromLastEventIdOnAnotherInstance) {
    GatewayProcess a(redis_.url(), sharded_env()), b(redis_.url(), sharded_env());
    library_loaded();
    const auto user = unique_user("sh");
    std::string last;
    {
        SseClient first;
        ASSERT_EQ(first.open(a.port(), "/events?token=" + make_token(user)), 200);
        ASSERT_TRUE(eventually([&] { return a.metric("wsgw_connections") == 1; })) << "registered";
        for (int i = 1; i <= 2; ++i) publish(user, i);
        for (int i = 1; i <= 2; ++i) {
            auto e = first.next_event();
            ASSERT_TRUE(e);
            last = e->id;
        }
    }
    for (int i = 3; i <= 4; ++i) publish(user, i);
    SseClient again;
    ASSERT_EQ(again.open(b.port(), "/events?token=" + make_token(user), "Last-Event-ID: " + last + "\r\n"), 200);
    for (int i = 3; i <= 4; ++i) {
        auto e = again.next_event();
        ASSERT_TRUE(e) << "missed message " << i;
        EXPECT_EQ(json::parse(e->data)["payload"]["seq"], i);
    }
}

TEST_F(ShardedTest, ResumesAfterEveryInstanceWasStoppedAndNewOnesStarted) {
    const auto user = unique_user("sh");
    std::string last_id;
    {
        GatewayProcess a(redis_.url(), sharded_env()), b(redis_.url(), sharded_env());
        library_loaded();
        WsClient c;
        ASSERT_TRUE(join(c, a.port(), user));
        for (int i = 1; i <= 3; ++i) publish(user, i);
        for (int i = 1; i <= 3; ++i) last_id = next_message(c).id;
        ASSERT_FALSE(last_id.empty());
    }  // the whole fleet is gone
    for (int i = 4; i <= 8; ++i) ASSERT_NE(publish(user, i).find('-'), std::string::npos);
    GatewayProcess fresh(redis_.url(), sharded_env());
    WsClient c;
    ASSERT_TRUE(c.connect(fresh.port(), "/ws?token=" + make_token(user) + "&last_id=" + last_id));
    for (int i = 4; i <= 8; ++i) EXPECT_EQ(next_message(c).seq, i) << "missed message " << i;
    EXPECT_TRUE(c.silent_for(300ms));
}

TEST_F(ShardedTest, AnIdTheStreamNoLongerHoldsGetsAResyncAtOnceThenTheLatestState) {
    GatewayProcess a(redis_.url(), sharded_env({{"WSGW_RESUME_WAIT_MS", "5000"}}));
    library_loaded();
    const auto user = unique_user("sh");
    ASSERT_NE(redis_.fcall_publish(user, "project:p1:" + user, progress("p1", 40)).find('-'), std::string::npos);
    ASSERT_NE(redis_.fcall_publish(user, "project:p1:" + user, progress("p1", 60)).find('-'), std::string::npos);
    publish(user, 1);
    for (const char* gone : {"1-0", "otherModeId"}) {
        WsClient c;
        const auto t0 = std::chrono::steady_clock::now();
        ASSERT_TRUE(c.connect(a.port(), "/ws?token=" + make_token(user) + "&last_id=" + gone));
        auto first = next_message(c);
        EXPECT_EQ(first.type, "resync") << gone;
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "not after resume_wait_ms";
        auto latest = next_message(c);
        EXPECT_EQ(latest.type, "project_progress");
        EXPECT_EQ(latest.payload.value("done", -1), 60) << "the latest progress of p1 only";
        EXPECT_TRUE(c.silent_for(300ms));
    }
    EXPECT_EQ(a.metric("wsgw_resume_requests_total{outcome=\"miss\"}"), 2);
}

TEST_F(ShardedTest, AFreshSocketGetsTheLatestStateOfEachProjectFromTheStream) {
    const auto user = unique_user("sh");
    {
        GatewayProcess loader(redis_.url(), sharded_env());
        library_loaded();
    }
    // Published while no instance runs at all.
    redis_.fcall_publish(user, "project:p1:" + user, progress("p1", 10));
    redis_.fcall_publish(user, "project:p2:" + user, progress("p2", 20));
    redis_.fcall_publish(user, "project:p1:" + user, progress("p1", 30));
    publish(user, 1);
    GatewayProcess a(redis_.url(), sharded_env());
    WsClient c, filtered;
    ASSERT_TRUE(c.connect(a.port(), "/ws?token=" + make_token(user)));
    EXPECT_EQ(latest_progress(c, 2), (std::map<std::string, int>{{"p1", 30}, {"p2", 20}}));
    EXPECT_TRUE(c.silent_for(300ms)) << "a notification is no state";
    ASSERT_TRUE(filtered.connect(a.port(), "/ws?token=" + make_token(user) + "&project_id=p2"));
    EXPECT_EQ(next_message(filtered).payload.value("project_id", ""), "p2");
    EXPECT_TRUE(filtered.silent_for(300ms));
}

// A latest-state read sketches the stream and validates only the messages it chooses: a stream
// full of notifications (which are no state) costs no validation, so a broken one among them is
// not dropped and counted again on every connect; the chosen one is.
TEST_F(ShardedTest, ALatestStateReadValidatesOnlyTheMessagesItChooses) {
    const auto user = unique_user("sh");
    {
        GatewayProcess loader(redis_.url(), sharded_env());
        library_loaded();
    }
    // Published while no instance runs: the gateway sees these only by reading the stream.
    const std::string broken_notification = R"({"type":"notification","payload":{"seq":1,"broken":tru}})";
    for (int i = 0; i < 20; ++i) redis_.fcall_publish(user, "user_noti:" + user, broken_notification);
    redis_.fcall_publish(user, "project:p1:" + user, progress("p1", 10));
    redis_.fcall_publish(user, "project:p2:" + user, R"({"type":"project_progress","payload":{"project_id":"p2","done":tru}})");
    redis_.fcall_publish(user, "project:p2:" + user, progress("p2", 20));
    redis_.fcall_publish(user, "project:p1:" + user, progress("p1", 30));
    redis_.fcall_publish(user, "project:p3:" + user, R"({"type":"project_progress","payload":{"project_id":"p3","done":tru}})");
    ASSERT_EQ(redis_.command("XLEN wsgw:{" + user + "}:stream"), "25");
    GatewayProcess a(redis_.url(), sharded_env());
    const auto series = "wsgw_messages_dropped_total{reason=\"not_json\"}";
    for (int round = 1; round <= 2; ++round) {
        const auto before = a.metric(series);
        WsClient c;
        ASSERT_TRUE(c.connect(a.port(), "/ws?token=" + make_token(user)));
        EXPECT_EQ(latest_progress(c, 2), (std::map<std::string, int>{{"p1", 30}, {"p2", 20}}));
        EXPECT_TRUE(c.silent_for(300ms)) << "p3's newest is broken: dropped, as patterns mode drops it";
        EXPECT_EQ(a.metric(series) - before, 1) << "round " << round << ": only p3's newest was chosen and validated";
    }
}

TEST_F(ShardedTest, APublisherNamingAnotherUsersChannelOrABadOneIsRefusedAndNothingIsStored) {
    GatewayProcess a(redis_.url(), sharded_env());
    library_loaded();
    const auto user = unique_user("sh");
    for (const std::string& channel : std::vector<std::string>{"user_noti:someone-else", "project:p1:someone-else", "project::" + user,
                                       "project:p1:" + user + ":x", "notifications:" + user, std::string("")}) {
        const auto reply = redis_.fcall_publish(user, channel, numbered(1));
        EXPECT_TRUE(reply.starts_with("ERR wsgw_publish")) << channel << " -> " << reply;
    }
    EXPECT_TRUE(redis_.fcall_publish("bad{user}", "user_noti:bad{user}", numbered(1)).starts_with("ERR wsgw_publish"));
    EXPECT_TRUE(redis_.fcall_publish(user, "user_noti:" + user, std::string(70000, 'x')).starts_with("ERR wsgw_publish"))
        << "larger than max_message_bytes";
    EXPECT_EQ(redis_.command("EXISTS wsgw:{" + user + "}:stream"), "0") << "nothing stored";
}

TEST_F(ShardedTest, ASubscriptionIsReleasedAfterTheDelayAndAReconnectInsideItCostsNoCommand) {
    GatewayProcess a(redis_.url(), sharded_env({{"WSGW_REDIS_UNSUBSCRIBE_DELAY_MS", "1500"}}));
    library_loaded();
    const auto user = unique_user("sh");
    {
        WsClient c;
        ASSERT_TRUE(join(c, a.port(), user));
        EXPECT_EQ(a.metric("wsgw_shard_subscriptions"), 1);
    }
    const auto subscribes = a.metric("wsgw_shard_subscribe_commands_total");
    {
        WsClient again;  // back within the delay
        ASSERT_TRUE(join(again, a.port(), user));
        EXPECT_EQ(a.metric("wsgw_shard_subscribe_commands_total"), subscribes) << "no new SSUBSCRIBE";
    }
    EXPECT_EQ(a.metric("wsgw_shard_subscriptions"), 1) << "still lingering";
    EXPECT_TRUE(eventually([&] { return a.metric("wsgw_shard_subscriptions") == 0; }, 5s)) << a.log();
    EXPECT_GE(a.metric("wsgw_shard_unsubscribe_commands_total"), 1);
    const auto before = messages_received(a);
    publish(user, 1);
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(messages_received(a), before) << "nothing arrives once unsubscribed";
}

// A reconnect while messages keep coming: every message arrives exactly once, in order, across
// the disconnect, the move to another instance and the seam between the stream read and live.
TEST_F(ShardedTest, ResumingUnderASteadyPublisherLosesAndDoublesNothing) {
    GatewayProcess a(redis_.url(), sharded_env({{"WSGW_RESUME_MAX_MESSAGES_PER_USER", "4096"},
                                                {"WSGW_SEND_QUEUE_MAX_MESSAGES", "4096"}})),
        b(redis_.url(), sharded_env({{"WSGW_RESUME_MAX_MESSAGES_PER_USER", "4096"}, {"WSGW_SEND_QUEUE_MAX_MESSAGES", "4096"}}));
    library_loaded();
    const auto user = unique_user("sh");
    constexpr int kTotal = 2000;
    const auto run = read_across_a_resume(a.port(), b.port(), user, kTotal, 500, [&, port = redis_.port()](int i) {
        const auto reply = fcall_publish(port, user, "user_noti:" + user, numbered(i));
        return reply.find('-') != std::string::npos ? std::string() : reply;  // a stream id, or the error
    });
    EXPECT_TRUE(every_message_once(run, kTotal));
}

// Many sockets resuming at once while every one of their users keeps receiving in bursts: the
// stream reads of different users finish in between each other's registrations and the bursts'
// hand-offs, on both threads, and still every socket gets each message once, in order.
TEST_F(ShardedTest, ManySocketsResumingAtOnceUnderBurstsEachGetEveryMessageOnce) {
    GatewayProcess b(redis_.url(), sharded_env());
    library_loaded();
    constexpr int kUsers = 32, kLast = 100, kOpeners = 4;
    std::vector<std::string> users, first_ids;
    for (int i = 0; i < kUsers; ++i) {
        users.push_back(unique_user("shm"));
        first_ids.push_back(publish(users.back(), 1));
        ASSERT_NE(first_ids.back().find('-'), std::string::npos) << first_ids.back();
    }
    // Message n of every user, in one pipelined burst per n.
    std::vector<std::string> failed_publishes;
    std::thread publisher([&, port = redis_.port()] {
        for (int n = 2; n <= kLast; ++n) {
            std::vector<Publish> burst;
            for (const auto& user : users) burst.push_back({user, "user_noti:" + user, numbered(n)});
            const auto replies = fcall_publish_burst(port, burst);
            for (std::size_t i = 0; i < replies.size(); ++i)
                if (replies[i].find('-') == std::string::npos)
                    failed_publishes.push_back(users[i] + " " + std::to_string(n) + ": " + replies[i]);
            std::this_thread::sleep_for(1ms);
        }
    });
    // What each socket got after message 1: the seq of each notification, -1 for any other frame.
    std::vector<std::vector<int>> seen(kUsers);
    std::vector<std::thread> openers;
    for (int t = 0; t < kOpeners; ++t)
        openers.emplace_back([&, t] {
            std::vector<std::pair<int, std::unique_ptr<WsClient>>> mine;
            for (int i = t; i < kUsers; i += kOpeners) {
                auto c = std::make_unique<WsClient>();
                if (c->connect(b.port(), "/ws?token=" + make_token(users[i]) + "&last_id=" + first_ids[i]))
                    mine.emplace_back(i, std::move(c));
            }
            for (auto& [i, c] : mine) {
                while (seen[i].empty() || seen[i].back() != kLast) {
                    auto g = next_message(*c, 5s);
                    if (g.type.empty()) break;
                    seen[i].push_back(g.type == "notification" ? g.seq : -1);
                }
            }
        });
    for (auto& t : openers) t.join();
    publisher.join();
    for (const auto& f : failed_publishes) ADD_FAILURE() << "publish " << f;
    std::vector<int> expected;
    for (int n = 2; n <= kLast; ++n) expected.push_back(n);
    for (int i = 0; i < kUsers; ++i) EXPECT_EQ(seen[i], expected) << "user " << i;
}

// A resume whose read ends ahead of the shard link: the stream holds an entry whose live copy has
// not come (an XADD of its own stands in for a copy that is late or lost), so the read hands it to
// the I/O threads itself, while live messages published just after the read are already on their
// way. With one I/O thread, the subscriber's own, the socket still gets every one of them once, in
// order. Each round starts the live messages 200 us later.
TEST_F(ShardedTest, AResumeWhoseReadEndsAheadOfTheShardLinkGetsWhatFollowsLive) {
    GatewayProcess b(redis_.url(), sharded_env({{"WSGW_THREADS", "1"}, {"WSGW_RESUME_MAX_MESSAGES_PER_USER", "100000"}}));
    library_loaded();
    // A long read (its reply takes a while to parse) lets the live messages catch up with it.
    constexpr int kStored = 2000, kLast = 2060;
    const auto padded = [](int n) {
        return json{{"type", "notification"}, {"payload", {{"seq", n}, {"pad", std::string(150, 'x')}}}}.dump();
    };
    for (int round = 0; round < 5; ++round) {
        const auto user = unique_user("sha");
        {
            WsClient first;  // the user's subscription lingers after it
            ASSERT_TRUE(join(first, b.port(), user));
        }
        const auto received = messages_received(b);
        std::string first_id;
        for (int n = 1; n <= kStored; n += 100) {
            std::vector<Publish> burst;
            for (int i = n; i < n + 100; ++i) burst.push_back({user, "user_noti:" + user, padded(i)});
            const auto ids = fcall_publish_burst(redis_.port(), burst);
            ASSERT_NE(ids.back().find('-'), std::string::npos) << ids.back();
            if (first_id.empty()) first_id = ids.front();
        }
        ASSERT_TRUE(eventually([&] { return messages_received(b) - received >= kStored; }, 10s)) << "round " << round;
        const auto only_stored = redis_.command("XADD wsgw:{" + user + "}:stream * c user_noti:" + user + " m " +
                                                numbered(kStored + 1));
        ASSERT_NE(only_stored.find('-'), std::string::npos) << only_stored;
        std::atomic<bool> resumed{false};
        std::vector<std::string> failed_publishes;
        std::thread live([&, port = redis_.port()] {
            while (!resumed) std::this_thread::yield();
            std::this_thread::sleep_for(std::chrono::microseconds(200 * round));
            for (int n = kStored + 2; n <= kLast; ++n)
                if (auto id = fcall_publish(port, user, "user_noti:" + user, numbered(n)); id.find('-') == std::string::npos)
                    failed_publishes.push_back(std::to_string(n) + ": " + id);
        });
        WsClient c;
        const bool connected = c.connect(b.port(), "/ws?token=" + make_token(user) + "&last_id=" + first_id);
        resumed = true;
        std::vector<int> seen;
        while (connected && (seen.empty() || seen.back() != kLast)) {
            auto g = next_message(c, 3s);
            if (g.type.empty()) break;
            seen.push_back(g.type == "notification" ? g.seq : -1);
        }
        live.join();
        ASSERT_TRUE(connected) << "round " << round;
        for (const auto& f : failed_publishes) ADD_FAILURE() << "round " << round << ": publish " << f;
        const auto faults = sequence_faults(seen, 2, kLast);
        EXPECT_TRUE(faults.empty()) << "round " << round << " (live from " << 200 * round << " us after the 101):" << faults;
    }
}

// Anyone who can SPUBLISH may write to a user's shard channel: what does not have the
// function's form is dropped, counted and logged, and the socket keeps receiving.
TEST_F(ShardedTest, GarbageOnAShardChannelIsDroppedAndTheUserKeepsReceiving) {
    GatewayProcess a(redis_.url(), sharded_env());
    library_loaded();
    const auto user = unique_user("sh");
    WsClient c;
    ASSERT_TRUE(join(c, a.port(), user));
    const auto before = a.metric("wsgw_messages_dropped_total{reason=\"bad_channel\"}");
    for (const char* garbage : {"garbage", "12-0", "not-an-id"})
        EXPECT_EQ(redis_.command("SPUBLISH wsgw:{" + user + "}:live " + garbage), "1") << garbage;
    ASSERT_NE(publish(user, 1).find('-'), std::string::npos);
    EXPECT_EQ(next_message(c).seq, 1) << "the valid message after the garbage";
    EXPECT_TRUE(c.silent_for(200ms));
    EXPECT_EQ(a.metric("wsgw_messages_dropped_total{reason=\"bad_channel\"}") - before, 3);
    EXPECT_NE(a.log().find("shard channel message without the form"), std::string::npos) << a.log();
}

// Anyone who can SPUBLISH can send a shard link more than any message the function lets through:
// the link is dropped before it holds more than max_message_bytes and a little, and made again.
TEST_F(ShardedTest, AnOversizedShardChannelMessageEndsTheLinkNotTheProcess) {
    GatewayProcess a(redis_.url(), sharded_env({{"WSGW_MAX_MESSAGE_BYTES", "4096"}}));
    library_loaded();
    const auto user = unique_user("sh");
    WsClient c;
    ASSERT_TRUE(join(c, a.port(), user));
    const auto huge = "1-0 user_noti:" + user + " " + std::string(1024 * 1024, 'x');
    EXPECT_EQ(redis_.spublish("wsgw:{" + user + "}:live", huge), 1);
    EXPECT_TRUE(eventually([&] { return a.log().find("a reply exceeds") != std::string::npos; })) << a.log();
    for (int i = 1; i <= 2; ++i) ASSERT_NE(publish(user, i).find('-'), std::string::npos);
    for (int i = 1; i <= 2; ++i) EXPECT_EQ(next_message(c, 10s).seq, i) << a.log();
    EXPECT_FALSE(c.closed());
}

// A link that stops answering (here a frozen server) is caught by its PING, dropped and made
// again; what was published meanwhile comes from the stream.
TEST_F(ShardedTest, AShardLinkThatStopsAnsweringIsDroppedAndItsUsersCatchUp) {
    GatewayProcess a(redis_.url(), sharded_env({{"WSGW_REDIS_PROBE_INTERVAL_MS", "200"}, {"WSGW_REDIS_PROBE_TIMEOUT_MS", "400"}}));
    library_loaded();
    const auto user = unique_user("sh");
    WsClient c;
    ASSERT_TRUE(join(c, a.port(), user));
    publish(user, 1);
    ASSERT_EQ(next_message(c).seq, 1);
    redis_.freeze();
    EXPECT_TRUE(eventually([&] { return a.log().find("\"event\":\"redis_shard_probe_timeout\"") != std::string::npos; }, 5s))
        << a.log();
    redis_.thaw();
    for (int i = 2; i <= 4; ++i) ASSERT_NE(publish(user, i).find('-'), std::string::npos);
    for (int i = 2; i <= 4; ++i) EXPECT_EQ(next_message(c, 10s).seq, i) << a.log();
    EXPECT_TRUE(c.silent_for(300ms)) << "nothing twice";
    EXPECT_FALSE(c.closed()) << "the client stays connected";
}

TEST(ShardedSetupTest, ARedisThatRefusesTheFunctionLibraryIsNamedInTheLog) {
    RedisServer old_style(0, "--rename-command FUNCTION \"\"");  // as a Redis without functions answers
    GatewayProcess a(old_style.url(), sharded_env());
    EXPECT_TRUE(eventually([&] { return a.metric("wsgw_function_loads_total{result=\"failed\"}") >= 1; })) << a.log();
    EXPECT_NE(a.log().find("\"event\":\"redis_function_load_failed\""), std::string::npos);
    EXPECT_NE(a.log().find("Redis 7"), std::string::npos) << "the hint says what is needed";
}

}  // namespace
}  // namespace wsgw::test
