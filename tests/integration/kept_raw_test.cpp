// Messages for users with no socket on an instance are kept raw there and validated only when a
// socket of the user registers: what the socket then receives (last-state replay, resume, live)
// is what it would have received had every message been validated on arrival.
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

std::string note(int n) { return json{{"type", "notification"}, {"id", "n" + std::to_string(n)}, {"payload", {{"seq", n}}}}.dump(); }

// The seq of a notification, or the done of a progress; -1 when nothing came.
int number_of(const std::optional<std::string>& frame, std::string* type = nullptr) {
    if (!frame) return -1;
    auto j = json::parse(*frame);
    if (type) *type = j.value("type", "");
    const auto& p = j["payload"];
    return p.contains("seq") ? p["seq"].get<int>() : p.value("done", -1);
}

class KeptRawTest : public ::testing::Test {
protected:
    RedisServer redis_;
    GatewayProcess gw_{redis_.url()};
};

TEST_F(KeptRawTest, MessagesForAUserNotHeldAreKeptRawThenReplayedAndResumed) {
    auto user = unique_user("raw");
    const auto kept_before = gw_.metric("wsgw_messages_kept_raw_total");
    ASSERT_EQ(redis_.publish("user_noti:" + user, note(1)), 1);
    ASSERT_EQ(redis_.publish("project:p1:" + user, progress("p1", 40)), 1);
    ASSERT_EQ(redis_.publish("user_noti:" + user, note(2)), 1);
    ASSERT_EQ(redis_.publish("project:p1:" + user, progress("p1", 50)), 1);
    ASSERT_EQ(redis_.publish("user_noti:" + user, note(3)), 1);
    ASSERT_TRUE(marker_passed(redis_, gw_.port()));
    EXPECT_EQ(gw_.metric("wsgw_messages_kept_raw_total"), kept_before + 5) << "no socket of the user: none validated";
    EXPECT_EQ(gw_.metric("wsgw_messages_validated_late_total"), 0);

    WsClient fresh;  // no ping first: the replay is the first frame
    ASSERT_TRUE(fresh.connect(gw_.port(), "/ws?token=" + make_token(user)));
    std::string type;
    EXPECT_EQ(number_of(fresh.next(), &type), 50);
    EXPECT_EQ(type, "project_progress") << "a fresh socket gets the latest progress of its project";
    EXPECT_TRUE(fresh.silent_for(300ms));
    EXPECT_GT(gw_.metric("wsgw_messages_validated_late_total"), 0);

    WsClient resumed;
    ASSERT_TRUE(resumed.connect(gw_.port(), "/ws?token=" + make_token(user) + "&last_id=n1"));
    EXPECT_EQ(number_of(resumed.next()), 2);
    EXPECT_EQ(number_of(resumed.next()), 50) << "the progress that replaced done=40";
    EXPECT_EQ(number_of(resumed.next()), 3);
    EXPECT_TRUE(resumed.silent_for(300ms)) << "nothing twice";
    EXPECT_EQ(gw_.metric("wsgw_resume_requests_total{outcome=\"hit\"}"), 1);
}

TEST_F(KeptRawTest, AnInvalidMessageKeptRawIsDroppedCountedAndLoggedWhenItsUserConnects) {
    auto user = unique_user("raw");
    const std::string sample = "wsgw_messages_dropped_total{reason=\"out_of_range\"}";
    const auto dropped_before = gw_.metric(sample);
    auto bad = json::parse(progress("p1", 7));
    bad["payload"]["errors"] = -1;  // read as a progress by the sketch, refused by validation
    ASSERT_EQ(redis_.publish("user_noti:" + user, note(1)), 1);
    ASSERT_EQ(redis_.publish("user_noti:" + user, bad.dump()), 1);
    ASSERT_EQ(redis_.publish("user_noti:" + user, note(2)), 1);
    ASSERT_TRUE(marker_passed(redis_, gw_.port()));
    EXPECT_EQ(gw_.metric(sample), dropped_before) << "kept raw: not validated yet";

    WsClient c;
    ASSERT_TRUE(c.connect(gw_.port(), "/ws?token=" + make_token(user) + "&last_id=n1"));
    std::string type;
    EXPECT_EQ(number_of(c.next(), &type), 2);
    EXPECT_EQ(type, "notification") << "the invalid progress is never sent";
    EXPECT_TRUE(c.silent_for(300ms));
    EXPECT_GE(gw_.metric(sample), dropped_before + 1) << "counted when validated";
    EXPECT_NE(gw_.log().find("\"event\":\"message_dropped\""), std::string::npos);
}

// Sockets register on every thread while the user's messages stream in, each thread holding some
// raw when its first socket comes: every socket gets every message after its last_id exactly once,
// in order, across the seam between the window and live traffic.
TEST_F(KeptRawTest, SocketsRegisteringWhileMessagesArriveGetEachOnceInOrder) {
    auto user = unique_user("raw");
    // Under the resume window's 256 per user, so n1 stays in it, and under the send queue's bound
    // (the clients read only at the end).
    constexpr int kTotal = 240;
    constexpr int kClients = 12;
    ASSERT_EQ(redis_.publish("user_noti:" + user, note(1)), 1);
    ASSERT_TRUE(marker_passed(redis_, gw_.port()));
    std::atomic<int> published{1};
    std::thread publisher([&] {
        for (int i = 2; i <= kTotal; ++i) {
            redis_.publish("user_noti:" + user, note(i));
            published = i;
            if (i % 4 == 0) std::this_thread::sleep_for(2ms);
        }
    });
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int k = 0; k < kClients; ++k) {
        while (published < 1 + (k + 1) * kTotal / (kClients + 2)) std::this_thread::sleep_for(1ms);
        clients.push_back(std::make_unique<WsClient>());
        ASSERT_TRUE(clients.back()->connect(gw_.port(), "/ws?token=" + make_token(user) + "&last_id=n1"));
    }
    publisher.join();
    for (int k = 0; k < kClients; ++k) {
        for (int i = 2; i <= kTotal; ++i) {
            auto n = number_of(clients[static_cast<std::size_t>(k)]->next(5s));
            ASSERT_EQ(n, i) << "client " << k << " at message " << i;
        }
        EXPECT_TRUE(clients[static_cast<std::size_t>(k)]->silent_for(100ms)) << "client " << k << ": nothing twice";
    }
}

// The same for fresh sockets and progress: the last state, then newer updates only, none twice.
TEST_F(KeptRawTest, FreshSocketsRegisteringWhileProgressArrivesSeeItOnceInOrder) {
    auto user = unique_user("raw");
    constexpr int kTotal = 600;  // under the send queue's bound: the clients read only at the end
    constexpr int kClients = 12;
    std::atomic<int> published{0};
    std::thread publisher([&] {
        for (int i = 1; i <= kTotal; ++i) {
            redis_.publish("project:p1:" + user, progress("p1", i));
            published = i;
            if (i % 10 == 0) std::this_thread::sleep_for(2ms);
        }
    });
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int k = 0; k < kClients; ++k) {
        while (published < (k + 1) * kTotal / (kClients + 2)) std::this_thread::sleep_for(1ms);
        clients.push_back(std::make_unique<WsClient>());
        ASSERT_TRUE(clients.back()->connect(gw_.port(), "/ws?token=" + make_token(user)));
    }
    publisher.join();
    for (int k = 0; k < kClients; ++k) {
        int last = 0;
        while (last < kTotal) {
            auto n = number_of(clients[static_cast<std::size_t>(k)]->next(5s));
            // Gaps are the send queue coalescing progress the client has not read yet.
            ASSERT_GT(n, last) << "client " << k << ": progress went back or came twice";
            last = n;
        }
        EXPECT_TRUE(clients[static_cast<std::size_t>(k)]->silent_for(100ms)) << "client " << k;
    }
}

}  // namespace
}  // namespace wsgw::test
