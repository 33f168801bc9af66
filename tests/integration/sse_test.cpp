// Server-Sent Events (GET /events) against the real daemon and a real redis-server: the same
// authentication, filter, limits and resume as /ws, events that carry the WebSocket JSON, the
// keep-alive, and closes that name the code a WebSocket would get.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "gateway_process.hpp"
#include "redis_server.hpp"
#include "sse_client.hpp"
#include "test_support.hpp"
#include "ws_client.hpp"
#include "wsgw/auth.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;

std::string numbered(int n) { return json{{"type", "notification"}, {"payload", {{"seq", n}}}}.dump(); }

// Opens /events for `user` and proves registration: a marker published for the user arrives.
::testing::AssertionResult subscribe(SseClient& c, const RedisServer& redis, std::uint16_t port, const std::string& user,
                                     const std::string& query = "") {
    int status = c.open(port, "/events?token=" + make_token(user) + query);
    if (status != 200) return ::testing::AssertionFailure() << "HTTP " << status << "\n" << c.head() << c.body();
    for (int attempt = 0; attempt < 50; ++attempt) {
        redis.publish("user_noti:" + user, json{{"type", "alert"}, {"payload", {{"marker", attempt}}}}.dump());
        if (auto e = c.next_event(std::chrono::milliseconds(100))) {
            if (e->event != "alert") return ::testing::AssertionFailure() << "first event: " << e->event;
            // Drain the markers that were still on their way.
            while (auto more = c.next_event(std::chrono::milliseconds(100)))
                if (more->event != "alert") return ::testing::AssertionFailure() << "then: " << more->event;
            return ::testing::AssertionSuccess();
        }
    }
    return ::testing::AssertionFailure() << "no marker arrived";
}

class SseTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        redis_ = new RedisServer();
        gw_ = new GatewayProcess(redis_->url(), {{"WSGW_WS_PING_INTERVAL_MS", "500"}});
    }
    static void TearDownTestSuite() {
        delete gw_;
        delete redis_;
    }
    static RedisServer* redis_;
    static GatewayProcess* gw_;
};
RedisServer* SseTest::redis_ = nullptr;
GatewayProcess* SseTest::gw_ = nullptr;

TEST_F(SseTest, StreamsEachMessageAsAnEventCarryingTheWebSocketJson) {
    auto user = unique_user("sse");
    SseClient c;
    ASSERT_TRUE(subscribe(c, *redis_, gw_->port(), user));
    EXPECT_NE(c.head().find("Content-Type: text/event-stream"), std::string::npos) << c.head();
    EXPECT_NE(c.head().find("Cache-Control: no-store"), std::string::npos) << c.head();
    EXPECT_NE(c.head().find("X-Accel-Buffering: no"), std::string::npos) << c.head();

    WsClient ws;  // the same message over WebSocket, for comparison
    ASSERT_TRUE(join(ws, gw_->port(), user));
    ASSERT_GE(redis_->publish("user_noti:" + user, read_fixture("notification.in.json")), 1);
    auto e = c.next_event();
    ASSERT_TRUE(e);
    auto over_ws = ws.next();
    ASSERT_TRUE(over_ws);
    EXPECT_EQ(e->data, *over_ws) << "data is the WebSocket frame's JSON, byte for byte";
    EXPECT_EQ(e->event, "notification");
    EXPECT_EQ(e->id, json::parse(*over_ws)["id"]);
}

TEST_F(SseTest, AMessageWithLineBreaksStaysOneDataLine) {
    auto user = unique_user("sse");
    SseClient c;
    ASSERT_TRUE(subscribe(c, *redis_, gw_->port(), user));
    ASSERT_GE(redis_->publish("user_noti:" + user, "{\n  \"type\": \"update\",\r\n  \"payload\": {\"a\": 1}\n}"), 1);
    auto e = c.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->event, "update");
    auto j = json::parse(e->data, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << e->data;
    EXPECT_EQ(j["payload"]["a"], 1);
}

TEST_F(SseTest, RefusesWhatSlashWsRefuses) {
    SseClient no_token;
    EXPECT_EQ(no_token.open(gw_->port(), "/events"), 401);
    SseClient expired;
    EXPECT_EQ(expired.open(gw_->port(), "/events?token=" + make_token(unique_user(), -60)), 401);
    SseClient bad_filter;
    EXPECT_EQ(bad_filter.open(gw_->port(), "/events?token=" + make_token(unique_user()) + "&project_id=a%20b"), 400);
    SseClient not_sse;
    EXPECT_EQ(not_sse.open(gw_->port(), "/events?token=" + make_token(unique_user()), "", "text/html"), 406);
    SseClient bearer;
    EXPECT_EQ(bearer.open(gw_->port(), "/events", "Authorization: Bearer " + make_token(unique_user()) + "\r\n"), 200);
}

TEST_F(SseTest, SendsAKeepAliveCommentWhenIdle) {
    auto user = unique_user("sse");
    SseClient c;
    ASSERT_TRUE(subscribe(c, *redis_, gw_->port(), user));
    auto e = c.next(2s);  // the ping interval is 500 ms in this suite
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->comment) << "event: " << e->event;
}

// A comment every ping interval, not every second one: a proxy that cuts a stream idle for 1.5
// intervals must never see such a gap.
TEST_F(SseTest, AnIdleStreamHearsAKeepAliveEveryPingInterval) {
    auto user = unique_user("sse");
    SseClient c;
    ASSERT_TRUE(subscribe(c, *redis_, gw_->port(), user));
    // 3.25 s at a 500 ms interval holds six ticks; one comment every second tick would give three.
    int comments = 0;
    const auto until = std::chrono::steady_clock::now() + 3250ms;
    while (std::chrono::steady_clock::now() < until) {
        auto e = c.next(std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()));
        if (!e) break;
        if (e->comment) ++comments;
    }
    EXPECT_GE(comments, 5) << "an idle stream must hear a comment every ping interval";
}

TEST_F(SseTest, AFilteredStreamReceivesOnlyItsProjectAndUserWideMessages) {
    auto user = unique_user("sse");
    SseClient c;
    ASSERT_TRUE(subscribe(c, *redis_, gw_->port(), user, "&project_id=p1"));
    auto p2 = json::parse(read_fixture("progress_legacy.in.json"));
    p2["payload"]["project_id"] = "p2";
    ASSERT_GE(redis_->publish("project:p2:" + user, p2.dump()), 1);
    ASSERT_GE(redis_->publish("project:p1:" + user, read_fixture("progress_legacy.in.json")), 1);
    auto e = c.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(json::parse(e->data)["payload"]["project_id"], "p1");
}

// What a browser's EventSource does by itself on reconnect: send Last-Event-ID.
TEST_F(SseTest, LastEventIdResumesWithExactlyWhatWasMissed) {
    auto user = unique_user("sse");
    std::string last;
    {
        SseClient first;
        ASSERT_TRUE(subscribe(first, *redis_, gw_->port(), user));
        for (int i = 1; i <= 3; ++i) ASSERT_GE(redis_->publish("user_noti:" + user, numbered(i)), 1);
        for (int i = 1; i <= 3; ++i) {
            auto e = first.next_event();
            ASSERT_TRUE(e);
            ASSERT_EQ(json::parse(e->data)["payload"]["seq"], i);
            last = e->id;
        }
    }
    for (int i = 4; i <= 6; ++i) ASSERT_GE(redis_->publish("user_noti:" + user, numbered(i)), 1);
    SseClient again;
    ASSERT_EQ(again.open(gw_->port(), "/events?token=" + make_token(user), "Last-Event-ID: " + last + "\r\n"), 200);
    for (int i = 4; i <= 6; ++i) {
        auto e = again.next_event();
        ASSERT_TRUE(e) << "missed " << i;
        EXPECT_EQ(json::parse(e->data)["payload"]["seq"], i);
    }
    SseClient unknown;
    ASSERT_EQ(unknown.open(gw_->port(), "/events?token=" + make_token(user), "Last-Event-ID: nope\r\n"), 200);
    auto e = unknown.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->event, "resync");
    EXPECT_TRUE(e->id.empty()) << "a resync sets no Last-Event-ID";
}

// An EventSource made with ?last_id= keeps that URL: on every reconnect the query's id is stale
// and Last-Event-ID is where the stream really is.
TEST_F(SseTest, LastEventIdWinsOverAStaleLastIdInTheQuery) {
    auto user = unique_user("sse");
    std::vector<std::string> ids;
    {
        SseClient first;
        ASSERT_TRUE(subscribe(first, *redis_, gw_->port(), user));
        for (int i = 1; i <= 3; ++i) ASSERT_GE(redis_->publish("user_noti:" + user, numbered(i)), 1);
        for (int i = 1; i <= 3; ++i) {
            auto e = first.next_event();
            ASSERT_TRUE(e);
            ids.push_back(e->id);
        }
    }
    SseClient again;
    ASSERT_EQ(again.open(gw_->port(), "/events?token=" + make_token(user) + "&last_id=" + ids[0],
                         "Last-Event-ID: " + ids[2] + "\r\n"),
              200);
    ASSERT_GE(redis_->publish("user_noti:" + user, numbered(4)), 1);
    auto e = again.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(json::parse(e->data)["payload"]["seq"], 4) << "what the client already had came again";
}

TEST_F(SseTest, ARevokedUserGetsACloseEventWith4003AndTheStreamEnds) {
    auto user = unique_user("sse");
    SseClient c;
    ASSERT_TRUE(subscribe(c, *redis_, gw_->port(), user));
    ASSERT_GE(redis_->publish("wsgw:control", json{{"action", "disconnect"}, {"user", user}}.dump()), 1);
    auto e = c.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->event, "close");
    EXPECT_EQ(json::parse(e->data)["payload"]["code"], 4003);
    EXPECT_TRUE(c.wait_eof());
    EXPECT_TRUE(eventually([&] { return gw_->metric("wsgw_disconnects_total{reason=\"disconnected\"}") >= 1; }));
}

TEST(SseDrainTest, ADrainEndsStreamsWithACloseEvent1001AfterWhatWasQueued) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_SHUTDOWN_GRACE_MS", "200"}});
    auto user = unique_user("sse");
    SseClient c;
    ASSERT_TRUE(subscribe(c, redis, gw.port(), user));
    ASSERT_GE(redis.publish("user_noti:" + user, numbered(1)), 1);
    ::kill(gw.pid(), SIGTERM);
    auto first = c.next_event();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->event, "notification");
    auto close = c.next_event();
    ASSERT_TRUE(close);
    EXPECT_EQ(close->event, "close");
    EXPECT_EQ(json::parse(close->data)["payload"]["code"], 1001);
    EXPECT_TRUE(c.wait_eof());
    EXPECT_EQ(gw.stop(0), 0) << gw.log();
}

TEST(SseLimitsTest, StreamsCountAgainstThePerUserLimit) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_MAX_CONNECTIONS_PER_USER", "1"}});
    auto user = unique_user("sse");
    SseClient a, b;
    ASSERT_EQ(a.open(gw.port(), "/events?token=" + make_token(user)), 200);
    EXPECT_EQ(b.open(gw.port(), "/events?token=" + make_token(user)), 429);
    WsClient ws;
    EXPECT_FALSE(ws.connect(gw.port(), "/ws?token=" + make_token(user)));
    EXPECT_EQ(ws.refused_status(), 429) << "one limit for both transports";
}

}  // namespace
}  // namespace wsgw::test
