// End-to-end: a real redis-server, the real ws-gateway binary, real WebSocket clients.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "gateway_process.hpp"
#include "process_util.hpp"
#include "redis_server.hpp"
#include "test_support.hpp"
#include "wsgw/channel.hpp"
#include "wsgw/time_format.hpp"
#include "wsgw/auth.hpp"
#include "ws_client.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;

class GatewayTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        redis_ = new RedisServer();
        gateway_ = new GatewayProcess(redis_->url(), {{"WSGW_MAX_INBOUND_FRAME_BYTES", "1024"}});
    }
    static void TearDownTestSuite() {
        delete gateway_;
        delete redis_;
        gateway_ = nullptr;
        redis_ = nullptr;
    }

    // A connected, registered client: the ping/pong round trip proves the server registered the
    // socket (registration precedes the first read), so a publish after this cannot race it.
    static std::unique_ptr<WsClient> connect_user(const std::string& user, const std::string& query = "") {
        auto c = std::make_unique<WsClient>();
        std::string target = "/ws?token=" + make_token(user) + query;
        if (!c->connect(gateway_->port(), target)) {
            ADD_FAILURE() << "upgrade refused for " << user << ": HTTP " << c->refused_status() << " " << c->refused_body();
            return c;
        }
        c->send_text(R"({"type":"ping"})");
        auto pong = c->next();
        EXPECT_TRUE(pong && json::parse(*pong)["type"] == "pong") << "no pong after connect";
        return c;
    }

    static void publish(const std::string& channel, const std::string& payload) {
        ASSERT_GE(redis_->publish(channel, payload), 1) << "no subscriber on " << channel;
    }

    static json next_json(WsClient& c) {
        auto m = c.next();
        if (!m) {
            ADD_FAILURE() << "expected a message, got none (closed=" << c.closed() << ")";
            return json();
        }
        return json::parse(*m);
    }

    static RedisServer* redis_;
    static GatewayProcess* gateway_;
};
RedisServer* GatewayTest::redis_ = nullptr;
GatewayProcess* GatewayTest::gateway_ = nullptr;

// --- HTTP endpoints --------------------------------------------------------------------------

TEST_F(GatewayTest, HealthzAnswers200) {
    auto r = http_get(gateway_->port(), "/healthz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["status"], "ok");
}

TEST_F(GatewayTest, ReadyzAnswers200WhileSubscribed) {
    auto r = http_get(gateway_->port(), "/readyz");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body), json::parse(R"({"status":"ready","redis":"subscribed"})"));
}

TEST_F(GatewayTest, MetricsServePrometheusText) {
    auto r = http_get(gateway_->port(), "/metrics");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.headers["Content-Type"].find("text/plain"), std::string::npos);
    EXPECT_NE(r.body.find("# TYPE wsgw_connections gauge"), std::string::npos);
    EXPECT_NE(r.body.find("wsgw_redis_subscribed 1"), std::string::npos);
}

TEST_F(GatewayTest, UnknownPathAnswers404WithJson) {
    auto r = http_get(gateway_->port(), "/nope");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(json::parse(r.body)["error"], "not_found");
}

TEST_F(GatewayTest, PlainGetOnWsAnswers426) {
    EXPECT_EQ(http_get(gateway_->port(), "/ws").status, 426);
}

TEST_F(GatewayTest, OversizedRequestHeadAnswers431) {
    auto r = http_get(gateway_->port(), "/healthz", {{"X-Big", std::string(20000, 'a')}});
    EXPECT_EQ(r.status, 431);
}

TEST_F(GatewayTest, OtherMethodsAnswer405WithAllowHeader) {
    std::string response;
    EXPECT_EQ(raw_http_status(gateway_->port(), "DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &response), 405);
    EXPECT_NE(response.find("Allow: GET"), std::string::npos) << response;
}

TEST_F(GatewayTest, RequestWithABodyAnswers413) {
    EXPECT_EQ(raw_http_status(gateway_->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"),
              413);
}

TEST_F(GatewayTest, MalformedRequestAnswers400) {
    EXPECT_EQ(raw_http_status(gateway_->port(), "THIS IS NOT HTTP\r\n\r\n"), 400);
}

// --- Authentication ---------------------------------------------------------------------------

struct AuthCase {
    const char* name;
    std::string target_suffix;
    std::map<std::string, std::string> headers;
    const char* reason;
};

TEST_F(GatewayTest, RefusesUpgradeWithoutValidTokenAndLogsReasonButNotToken) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::string wrong_key = make_token("alice", 3600, "another-secret");
    std::string expired = make_token("alice", -3600);
    std::string no_sub = sign_hs256(json{{"exp", now + 60}}.dump(), kSecret);
    // {"alg":"none","typ":"JWT"} . {"sub":"alice","exp":<far future>} . (no signature)
    std::string alg_none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.";
    std::vector<AuthCase> cases = {
        {"missing", "", {}, "missing_token"},
        {"malformed", "?token=not-a-jwt", {}, "malformed"},
        {"wrong key", "?token=" + wrong_key, {}, "bad_signature"},
        {"expired", "?token=" + expired, {}, "expired"},
        {"no sub", "?token=" + no_sub, {}, "missing_subject"},
        {"alg none", "?token=" + alg_none, {}, "alg_not_allowed"},
        {"bad bearer", "", {{"Authorization", "Bearer " + wrong_key}}, "bad_signature"},
    };
    for (const auto& c : cases) {
        WsClient client;
        EXPECT_FALSE(client.connect(gateway_->port(), "/ws" + c.target_suffix, c.headers)) << c.name;
        EXPECT_EQ(client.refused_status(), 401) << c.name;
        auto body = json::parse(client.refused_body(), nullptr, false);
        EXPECT_EQ(body["error"], "unauthorized") << c.name;
        EXPECT_EQ(body["reason"], c.reason) << c.name;
    }
    EXPECT_TRUE(eventually([&] { return gateway_->log().find("\"reason\":\"alg_not_allowed\"") != std::string::npos; }));
    auto log = gateway_->log();
    EXPECT_NE(log.find("\"event\":\"auth_failed\""), std::string::npos);
    EXPECT_EQ(log.find(wrong_key), std::string::npos) << "a token appeared in the log";
    EXPECT_EQ(log.find(expired), std::string::npos) << "a token appeared in the log";
    EXPECT_GE(gateway_->metric("wsgw_auth_failures_total{reason=\"expired\"}"), 1);
}

TEST_F(GatewayTest, AcceptsTokenFromBearerHeader) {
    WsClient c;
    EXPECT_TRUE(c.connect(gateway_->port(), "/ws", {{"Authorization", "Bearer " + make_token(unique_user())}}))
        << c.refused_status() << " " << c.refused_body();
}

TEST_F(GatewayTest, AcceptsTokenFromCookie) {
    WsClient c;
    EXPECT_TRUE(c.connect(gateway_->port(), "/ws", {{"Cookie", "theme=dark; wsgw_token=" + make_token(unique_user())}}))
        << c.refused_status() << " " << c.refused_body();
}

TEST_F(GatewayTest, RefusesInvalidProjectFilterWith400) {
    for (std::string bad : std::vector<std::string>{"a%20b", "", std::string(65, 'p'), "p%3A1"}) {
        WsClient c;
        EXPECT_FALSE(c.connect(gateway_->port(), "/ws?token=" + make_token(unique_user()) + "&project_id=" + bad));
        EXPECT_EQ(c.refused_status(), 400) << "project_id=" << bad;
    }
}

// --- Delivery of the specification's examples ---------------------------------------------------

TEST_F(GatewayTest, EverySpecExampleReachesEverySocketOfItsUserExactlyAsSpecified) {
    auto user = unique_user();
    auto other = unique_user();
    auto a = connect_user(user);
    auto b = connect_user(user);
    auto bystander = connect_user(other);
    int examples = 0;
    for (const auto& entry : std::filesystem::directory_iterator(std::string(WSGW_FIXTURES_DIR) + "/spec")) {
        auto name = entry.path().filename().string();
        if (!name.ends_with(".in.json")) continue;
        auto stem = name.substr(0, name.size() - 8);
        auto in = json::parse(read_fixture(name));
        auto expected = json::parse(read_fixture(stem + ".out.json"));
        publish("user_noti:" + user, read_fixture(name));
        for (auto* c : {a.get(), b.get()}) {
            auto got = next_json(*c);
            EXPECT_EQ(got["type"], in["type"]) << stem;
            EXPECT_EQ(got["payload"], expected) << stem;
            EXPECT_EQ(got.size(), 4u) << stem << ": frame must hold exactly type, id, payload, timestamp";
            EXPECT_TRUE(got["id"].is_string() && wsgw::is_valid_id(got["id"].get<std::string>())) << stem;
            if (in.contains("timestamp"))
                EXPECT_EQ(got["timestamp"], *wsgw::to_utc_rfc3339(in["timestamp"].get<std::string>())) << stem;
            else
                EXPECT_TRUE(got["timestamp"].is_string() && got["timestamp"].get<std::string>().ends_with("Z")) << stem;
        }
        ++examples;
    }
    EXPECT_GE(examples, 10);
    EXPECT_TRUE(bystander->silent_for(300ms)) << "another user's socket received a message";
}

TEST_F(GatewayTest, FrameKeepsPublisherKeyOrderAndIsCompact) {
    auto user = unique_user();
    auto c = connect_user(user);
    publish("user_noti:" + user, read_fixture("progress_legacy.in.json"));
    auto frame = c->next();
    ASSERT_TRUE(frame);
    auto id = json::parse(*frame)["id"].get<std::string>();
    EXPECT_TRUE(frame->starts_with(R"({"type":"project_progress","id":")" + id +
                                   R"(","payload":{"project_id":"p1","status":"CRAWLING","total":10,)"))
        << *frame;
}

TEST_F(GatewayTest, ProjectFilterAdmitsOnlyItsProjectAndUserWideMessages) {
    auto user = unique_user();
    auto all = connect_user(user);
    auto only_p1 = connect_user(user, "&project_id=p1");
    auto only_p2 = connect_user(user, "&projectId=p2");
    auto p1 = read_fixture("progress_legacy.in.json");  // project_id p1
    auto p2 = json::parse(p1);
    p2["payload"]["project_id"] = "p2";

    publish("project:p1:" + user, p1);
    EXPECT_EQ(next_json(*all)["payload"]["project_id"], "p1");
    EXPECT_EQ(next_json(*only_p1)["payload"]["project_id"], "p1");

    publish("project:p2:" + user, p2.dump());
    EXPECT_EQ(next_json(*all)["payload"]["project_id"], "p2");
    EXPECT_EQ(next_json(*only_p2)["payload"]["project_id"], "p2") << "projectId alias must filter too";

    publish("user_noti:" + user, read_fixture("notification.in.json"));
    for (auto* c : {all.get(), only_p1.get(), only_p2.get()}) EXPECT_EQ(next_json(*c)["type"], "notification");

    EXPECT_TRUE(only_p1->silent_for(200ms)) << "p1 socket received another project's message";
    EXPECT_TRUE(only_p2->silent_for(200ms)) << "p2 socket received another project's message";
}

TEST_F(GatewayTest, ProjectChannelDropsPayloadNamingAnotherProject) {
    auto user = unique_user();
    auto c = connect_user(user);
    publish("project:p9:" + user, read_fixture("progress_legacy.in.json"));  // payload says p1
    publish("project:p1:" + user, read_fixture("progress_legacy.in.json"));
    auto got = next_json(*c);
    EXPECT_EQ(got["payload"]["project_id"], "p1");
    EXPECT_TRUE(c->silent_for(200ms));
}

TEST_F(GatewayTest, ManySocketsOfOneUserAllReceiveAcrossThreads) {
    auto user = unique_user();
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int i = 0; i < 12; ++i) clients.push_back(connect_user(user));
    publish("user_noti:" + user, read_fixture("alert.in.json"));
    for (auto& c : clients) EXPECT_EQ(next_json(*c)["type"], "alert");
}

TEST_F(GatewayTest, EachBadMessageIsDroppedAndTheNextGoodOneStillArrives) {
    auto user = unique_user();
    auto c = connect_user(user);
    auto before = gateway_->metric("wsgw_messages_dropped_total{reason=\"not_json\"}");
    std::vector<std::string> bad = {
        "not json",
        "[1,2,3]",
        R"({"type":"ping","payload":{}})",
        R"({"type":"pong","payload":{}})",
        R"({"type":"shout","payload":{}})",
        R"({"type":"notification","payload":"text"})",
        R"({"type":"notification"})",
        R"({"type":"project_progress","payload":{"project_id":"p1","status":"CRAWLING","total":10,"done":4,"errors":-1,"progress_percent":40}})",
        R"({"type":"project_progress","payload":{"project_id":"p1","status":"CRAWLING","total":10.0,"done":4,"errors":0,"progress_percent":40}})",
        R"({"type":"project_progress","payload":{"project_id":"p1","status":"CRAWLING","total":10,"done":4,"errors":0,"progress_percent":140}})",
        R"({"type":"project_progress","payload":{"project_id":"p1","status":"CRAWLING","overall_progress_percent":5,"crawl":null}})",
        R"({"type":"project_progress","payload":{"project_id":"p1","status":"PROCESSING","overall_progress_percent":5,"crawl":{"total":1,"done":2,"errors":0,"progress_percent":5}}})",
        "{\"type\":\"notification\",\"payload\":{\"t\":\"\xff\"}}",
        R"({"type":"notification","payload":{"x":)" + std::string(40, '[') + std::string(40, ']') + "}}",
        R"({"type":"notification","payload":{"x":")" + std::string(70 * 1024, 'a') + "\"}}",
    };
    for (const auto& b : bad) {
        publish("user_noti:" + user, b);
        publish("user_noti:" + user, read_fixture("notification.in.json"));
        auto got = c->next();
        ASSERT_TRUE(got) << "no message after bad input: " << b.substr(0, 80);
        EXPECT_EQ(json::parse(*got)["type"], "notification") << "bad input leaked: " << b.substr(0, 80);
    }
    EXPECT_TRUE(c->silent_for(200ms));
    EXPECT_GE(gateway_->metric("wsgw_messages_dropped_total{reason=\"not_json\"}"), before + 1);
    EXPECT_NE(gateway_->log().find("\"event\":\"message_dropped\""), std::string::npos);
}

TEST_F(GatewayTest, BadChannelNamesAreDroppedAndCounted) {
    auto before = gateway_->metric("wsgw_messages_dropped_total{reason=\"bad_channel\"}");
    auto note = read_fixture("notification.in.json");
    for (std::string ch : std::vector<std::string>{"user_noti:", "user_noti:a b", "project:p1:", "project::u1", "project:p1:u1:extra"})
        publish(ch, note);
    EXPECT_TRUE(eventually(
        [&] { return gateway_->metric("wsgw_messages_dropped_total{reason=\"bad_channel\"}") >= before + 5; }));
}

TEST_F(GatewayTest, MessagesAreCountedByKindTypeAndFormat) {
    auto user = unique_user();
    auto c = connect_user(user);
    auto sample = "wsgw_messages_received_total{kind=\"project\",type=\"project_progress\",format=\"phased\"}";
    auto before = gateway_->metric(sample);
    publish("project:p1:" + user, read_fixture("progress_phased.in.json"));
    ASSERT_TRUE(c->next());
    EXPECT_EQ(gateway_->metric(sample), before + 1);
}

// --- Client frames -------------------------------------------------------------------------------

TEST_F(GatewayTest, AnswersClientPingWithPongAndIgnoresOtherText) {
    auto c = connect_user(unique_user());
    c->send_text(R"({"type":"hello"})");
    c->send_text("not json at all");
    c->send_text(R"({"type":"ping","payload":{}})");
    auto pong = next_json(*c);
    EXPECT_EQ(pong["type"], "pong");
    EXPECT_TRUE(pong["timestamp"].is_string());
    EXPECT_FALSE(c->closed());
}

TEST_F(GatewayTest, ClosesWith1003OnBinaryFrame) {
    auto c = connect_user(unique_user());
    c->send_binary("\x01\x02");
    EXPECT_EQ(c->wait_closed(), 1003);
}

TEST_F(GatewayTest, ClosesWith1009OnOversizedFrame) {
    auto c = connect_user(unique_user());
    c->send_text(std::string(2048, 'x'));  // the suite's limit is 1024
    EXPECT_EQ(c->wait_closed(), 1009);
}

TEST_F(GatewayTest, ConnectionGaugeFollowsOpenAndClose) {
    auto base = gateway_->metric("wsgw_connections");
    {
        auto c = connect_user(unique_user());
        EXPECT_EQ(gateway_->metric("wsgw_connections"), base + 1);
        c->close();
    }
    EXPECT_TRUE(eventually([&] { return gateway_->metric("wsgw_connections") == base; }));
    EXPECT_NE(gateway_->log().find("\"event\":\"conn_close\""), std::string::npos);
}

// --- Process-level behaviour (own gateway or Redis) -----------------------------------------------

TEST(GatewayProcessTest, RefusesToStartWithoutJwtSecret) {
    auto log = "/tmp/wsgw-it-nosecret-" + std::to_string(::getpid());
    auto pid = spawn({WSGW_GATEWAY_BIN}, {{"WSGW_JWT_SECRET", ""}, {"WSGW_LISTEN", "127.0.0.1:0"}}, log);
    EXPECT_EQ(wait_exit(pid, 5s), 2);
    EXPECT_NE(read_file(log).find("WSGW_JWT_SECRET"), std::string::npos) << read_file(log);
}

TEST(GatewayProcessTest, RefusesToStartWithBadValueNamingTheKey) {
    auto log = "/tmp/wsgw-it-badthreads-" + std::to_string(::getpid());
    auto pid = spawn({WSGW_GATEWAY_BIN}, {{"WSGW_JWT_SECRET", "s"}, {"WSGW_THREADS", "many"}}, log);
    EXPECT_EQ(wait_exit(pid, 5s), 2);
    EXPECT_NE(read_file(log).find("WSGW_THREADS"), std::string::npos) << read_file(log);
}

TEST(GatewayProcessTest, RefusesAPortAnotherGatewayListensOn) {
    RedisServer redis;
    GatewayProcess first(redis.url());
    auto log = "/tmp/wsgw-it-portinuse-" + std::to_string(::getpid());
    auto pid = spawn({WSGW_GATEWAY_BIN},
                     {{"WSGW_JWT_SECRET", "s"}, {"WSGW_LISTEN", "127.0.0.1:" + std::to_string(first.port())},
                      {"WSGW_REDIS_URL", redis.url()}},
                     log);
    EXPECT_EQ(wait_exit(pid, 5s), 1);
    EXPECT_NE(read_file(log).find("\"event\":\"fatal\""), std::string::npos) << read_file(log);
    EXPECT_NE(read_file(log).find("in use"), std::string::npos) << read_file(log);
}

TEST(GatewayProcessTest, EveryThreadAcceptsConnections) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_THREADS", "2"}});
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int i = 0; i < 40; ++i) {
        clients.push_back(std::make_unique<WsClient>());
        ASSERT_TRUE(join(*clients.back(), gw.port(), unique_user()));
    }
    // Connections are dealt to the threads in turn.
    auto text = gw.log();
    EXPECT_NE(text.find("\"event\":\"conn_open\""), std::string::npos);
    EXPECT_NE(text.find("\"thread\":0"), std::string::npos) << text;
    EXPECT_NE(text.find("\"thread\":1"), std::string::npos) << text;
}

TEST(GatewayProcessTest, PrintsHelpAndVersion) {
    auto log = "/tmp/wsgw-it-help-" + std::to_string(::getpid());
    EXPECT_EQ(wait_exit(spawn({WSGW_GATEWAY_BIN, "--help"}, {}, log), 5s), 0);
    EXPECT_NE(read_file(log).find("WSGW_REDIS_URL"), std::string::npos);
    EXPECT_EQ(wait_exit(spawn({WSGW_GATEWAY_BIN, "--version"}, {}, log), 5s), 0);
    EXPECT_NE(read_file(log).find("ws-gateway "), std::string::npos);
}

TEST(GatewayProcessTest, NotReadyWhileRedisIsDownThenReadyAndDeliveringOnceItAppears) {
    auto port = free_port();
    GatewayProcess gw("redis://127.0.0.1:" + std::to_string(port) + "/0", {}, /*wait_ready=*/false);
    EXPECT_EQ(http_get(gw.port(), "/readyz").status, 503);
    EXPECT_EQ(http_get(gw.port(), "/healthz").status, 200);
    RedisServer redis(port);
    EXPECT_TRUE(eventually([&] { return gw.ready(); }, 10s)) << gw.log();
    auto user = unique_user();
    WsClient c;
    ASSERT_TRUE(c.connect(gw.port(), "/ws?token=" + make_token(user)));
    c.send_text(R"({"type":"ping"})");
    ASSERT_TRUE(c.next());
    ASSERT_GE(redis.publish("user_noti:" + user, read_fixture("alert.in.json")), 1);
    auto got = c.next();
    ASSERT_TRUE(got);
    EXPECT_EQ(json::parse(*got)["type"], "alert");
}

TEST(GatewayProcessTest, RedisRestartMakesItUnreadyThenResubscribesWithClientsConnected) {
    RedisServer redis;
    GatewayProcess gw(redis.url());
    auto user = unique_user();
    WsClient c;
    ASSERT_TRUE(c.connect(gw.port(), "/ws?token=" + make_token(user)));
    c.send_text(R"({"type":"ping"})");
    ASSERT_TRUE(c.next());
    redis.kill_hard();
    EXPECT_TRUE(eventually([&] { return !gw.ready(); }, 5s)) << "readyz stayed 200 with Redis gone";
    redis.start();
    EXPECT_TRUE(eventually([&] { return gw.ready(); }, 10s)) << gw.log();
    ASSERT_GE(redis.publish("user_noti:" + user, read_fixture("update.in.json")), 1);
    auto got = c.next();
    ASSERT_TRUE(got) << "no delivery after resubscribe";
    EXPECT_EQ(json::parse(*got)["type"], "update");
    EXPECT_NE(gw.log().find("\"event\":\"redis_disconnected\""), std::string::npos);
}

TEST(GatewayProcessTest, SigtermClosesClientsWith1001AndExitsZero) {
    RedisServer redis;
    GatewayProcess gw(redis.url());
    WsClient c;
    ASSERT_TRUE(c.connect(gw.port(), "/ws?token=" + make_token(unique_user())));
    c.send_text(R"({"type":"ping"})");
    ASSERT_TRUE(c.next());
    ::kill(gw.pid(), SIGTERM);
    EXPECT_EQ(c.wait_closed(), 1001);
    EXPECT_EQ(gw.stop(0), 0) << gw.log();
}

TEST(GatewayProcessTest, TextLogFormatWritesOneLinePerEvent) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_LOG_FORMAT", "text"}});
    auto log = gw.log();
    EXPECT_NE(log.find(" info redis_subscribed "), std::string::npos) << log;
    EXPECT_EQ(log.find("{\"ts\""), std::string::npos);
}

}  // namespace
}  // namespace wsgw::test
