// Fleet-wide control through Redis, with two or three real gateway processes on one real
// redis-server: disconnecting a user and revoking a token reach every instance, a revoked token
// is refused by an instance started afterwards, and bad commands are counted, never acted on.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway_process.hpp"
#include "redis_server.hpp"
#include "test_support.hpp"
#include "ws_client.hpp"
#include "wsgw/auth.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;

constexpr const char* kControl = "wsgw:control";

long long unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A token for `user` that names itself with `jti`, as identity providers issue them.
std::string token_with_id(const std::string& user, const std::string& jti, long long ttl = 3600) {
    return sign_hs256(json{{"sub", user}, {"exp", unix_now() + ttl}, {"jti", jti}}.dump(), kSecret);
}

std::string revoke(const std::string& jti, long long exp) {
    return json{{"action", "revoke"}, {"jti", jti}, {"exp", exp}}.dump();
}

std::string disconnect(const std::string& user) { return json{{"action", "disconnect"}, {"user", user}}.dump(); }

// Connects with `token` and proves registration with a ping/pong.
::testing::AssertionResult join_with(WsClient& c, std::uint16_t port, const std::string& token) {
    if (!c.connect(port, "/ws?token=" + token))
        return ::testing::AssertionFailure() << "upgrade refused: HTTP " << c.refused_status() << " " << c.refused_body();
    c.send_text(R"({"type":"ping"})");
    auto pong = c.next();
    if (!pong || json::parse(*pong)["type"] != "pong") return ::testing::AssertionFailure() << "no pong";
    return ::testing::AssertionSuccess();
}

// Whether `c` still receives what is published for `user`.
bool still_delivers(const RedisServer& redis, WsClient& c, const std::string& user) {
    redis.publish("user_noti:" + user, read_fixture("alert.in.json"));
    auto m = c.next();
    return m && json::parse(*m)["type"] == "alert";
}

class ControlTest : public ::testing::Test {
protected:
    RedisServer redis_;
    GatewayProcess a_{redis_.url()};
    GatewayProcess b_{redis_.url()};
};

TEST_F(ControlTest, DisconnectClosesTheUsersSocketsOnEveryInstanceWith4003) {
    auto user = unique_user("ctl");
    auto bystander = unique_user("ctl");
    WsClient on_a, on_b, other;
    ASSERT_TRUE(join(on_a, a_.port(), user));
    ASSERT_TRUE(join(on_b, b_.port(), user));
    ASSERT_TRUE(join(other, a_.port(), bystander));

    EXPECT_EQ(redis_.publish(kControl, disconnect(user)), 2) << "both instances listen on the control channel";
    EXPECT_EQ(on_a.wait_closed(), 4003);
    EXPECT_EQ(on_b.wait_closed(), 4003);
    EXPECT_TRUE(still_delivers(redis_, other, bystander)) << "another user's socket is not touched";
    for (auto* gw : {&a_, &b_}) {
        EXPECT_TRUE(eventually([&] { return gw->metric("wsgw_disconnects_total{reason=\"disconnected\"}") == 1; }))
            << gw->log();
        EXPECT_EQ(gw->metric("wsgw_control_commands_total{action=\"disconnect\"}"), 1);
    }
    EXPECT_NE(a_.log().find("\"event\":\"control_command\",\"action\":\"disconnect\""), std::string::npos) << a_.log();
}

TEST_F(ControlTest, RevokeClosesOnlySocketsHoldingThatTokenAndRefusesItOnEveryInstance) {
    auto user = unique_user("ctl");
    auto revoked = token_with_id(user, "jti-" + user + "-1");
    auto other_token = token_with_id(user, "jti-" + user + "-2");
    WsClient with_revoked_a, with_revoked_b, with_other;
    ASSERT_TRUE(join_with(with_revoked_a, a_.port(), revoked));
    ASSERT_TRUE(join_with(with_revoked_b, b_.port(), revoked));
    ASSERT_TRUE(join_with(with_other, b_.port(), other_token));

    ASSERT_EQ(redis_.publish(kControl, revoke("jti-" + user + "-1", unix_now() + 3600)), 2);
    EXPECT_EQ(with_revoked_a.wait_closed(), 4003);
    EXPECT_EQ(with_revoked_b.wait_closed(), 4003);
    EXPECT_TRUE(still_delivers(redis_, with_other, user)) << "the user's other token stays valid";

    for (auto* gw : {&a_, &b_}) {
        WsClient again;
        EXPECT_FALSE(again.connect(gw->port(), "/ws?token=" + revoked));
        EXPECT_EQ(again.refused_status(), 401);
        EXPECT_EQ(json::parse(again.refused_body()).value("reason", ""), "revoked") << again.refused_body();
        EXPECT_EQ(gw->metric("wsgw_auth_failures_total{reason=\"revoked\"}"), 1);
        EXPECT_EQ(gw->metric("wsgw_revoked_tokens"), 1);
    }
    // Every instance that heard the command keeps it in Redis, refused until exp + leeway.
    auto score = redis_.command("ZSCORE wsgw:revoked jti-" + user + "-1");
    EXPECT_FALSE(score.empty()) << "the revocation is not in the sorted set";
}

TEST_F(ControlTest, ARevokedTokenIsRefusedByAnInstanceStartedAfterTheCommand) {
    auto user = unique_user("ctl");
    auto token = token_with_id(user, "late-" + user);
    ASSERT_EQ(redis_.publish(kControl, revoke("late-" + user, unix_now() + 3600)), 2);
    ASSERT_TRUE(eventually([&] { return !redis_.command("ZSCORE wsgw:revoked late-" + user).empty(); }))
        << "no instance stored the revocation";

    GatewayProcess later(redis_.url());
    WsClient c;
    EXPECT_FALSE(c.connect(later.port(), "/ws?token=" + token));
    EXPECT_EQ(c.refused_status(), 401) << c.refused_body();
    EXPECT_EQ(json::parse(c.refused_body()).value("reason", ""), "revoked");
    EXPECT_NE(later.log().find("\"event\":\"revocation_list_loaded\""), std::string::npos) << later.log();
    WsClient fresh;
    EXPECT_TRUE(join_with(fresh, later.port(), token_with_id(user, "new-" + user))) << "a new token is welcome";
}

// "Never expires" as identity providers write it: 9999999999 is past what a nanosecond time point
// holds, and used to wrap into the past, so the refusal was dropped and the token came back.
TEST_F(ControlTest, ARevokeWithAFarFutureExpKeepsTheTokenOutOnEveryInstance) {
    auto user = unique_user("ctl");
    const std::string jti = "forever-" + user;
    auto token = sign_hs256(json{{"sub", user}, {"exp", 9999999999LL}, {"jti", jti}}.dump(), kSecret);
    WsClient open;
    ASSERT_TRUE(join_with(open, a_.port(), token));
    ASSERT_EQ(redis_.publish(kControl, revoke(jti, 9999999999LL)), 2);
    EXPECT_EQ(open.wait_closed(), 4003);
    for (auto* gw : {&a_, &b_}) {
        WsClient again;
        EXPECT_FALSE(again.connect(gw->port(), "/ws?token=" + token)) << "the revoked token connected again";
        EXPECT_EQ(again.refused_status(), 401) << again.refused_body();
        EXPECT_EQ(gw->metric("wsgw_revoked_tokens"), 1) << gw->log();
    }
    // Stored clamped (exp 4e9 + leeway), and so loaded by an instance started later.
    ASSERT_TRUE(eventually([&] { return !redis_.command("ZSCORE wsgw:revoked " + jti).empty(); }));
    EXPECT_EQ(std::stod(redis_.command("ZSCORE wsgw:revoked " + jti)), 4e9 + 5);
    GatewayProcess later(redis_.url());
    WsClient c;
    EXPECT_FALSE(c.connect(later.port(), "/ws?token=" + token));
    EXPECT_EQ(c.refused_status(), 401) << c.refused_body() << later.log();
}

// Scores written by a publisher's own tooling may say "forever" in any form; each is loaded as a
// refusal that lasts as long as the token could be used, none is dropped.
TEST(ControlRecoveryTest, LoadsDenyListScoresPastWhatATimePointHolds) {
    RedisServer redis;
    auto user = unique_user("ctl");
    redis.command("ZADD wsgw:revoked 9999999999 a-" + user + " 100000000000 b-" + user + " +inf c-" + user);
    GatewayProcess gw(redis.url());
    EXPECT_EQ(gw.metric("wsgw_revoked_tokens"), 3) << gw.log();
    for (const char* prefix : {"a-", "b-", "c-"}) {
        WsClient c;
        auto token = sign_hs256(json{{"sub", user}, {"exp", 9999999999LL}, {"jti", prefix + user}}.dump(), kSecret);
        EXPECT_FALSE(c.connect(gw.port(), "/ws?token=" + token)) << prefix;
        EXPECT_EQ(c.refused_status(), 401) << prefix << " " << c.refused_body();
    }
}

// A socket admitted before a command but still being set up (here: waiting for a last_id this
// instance has not received) is not registered yet; the command must reach it all the same.
class ControlDuringSetupTest : public ::testing::Test {
protected:
    RedisServer redis_;
    GatewayProcess gw_{redis_.url(), {{"WSGW_RESUME_WAIT_MS", "3000"}}};
};

TEST_F(ControlDuringSetupTest, ARevokeClosesASocketStillWaitingForItsLastId) {
    auto user = unique_user("ctl");
    auto token = token_with_id(user, "setup-" + user);
    WsClient c;
    ASSERT_TRUE(c.connect(gw_.port(), "/ws?token=" + token + "&last_id=not-arrived-yet"));
    ASSERT_EQ(redis_.publish(kControl, revoke("setup-" + user, unix_now() + 3600)), 1);
    EXPECT_EQ(c.wait_closed(6s), 4003) << "the revoked socket stayed open\n" << gw_.log();
    EXPECT_TRUE(eventually([&] { return gw_.metric("wsgw_disconnects_total{reason=\"revoked\"}") == 1; })) << gw_.log();
}

TEST_F(ControlDuringSetupTest, ADisconnectClosesASocketStillWaitingForItsLastId) {
    auto user = unique_user("ctl");
    WsClient c;
    ASSERT_TRUE(c.connect(gw_.port(), "/ws?token=" + make_token(user) + "&last_id=not-arrived-yet"));
    ASSERT_EQ(redis_.publish(kControl, disconnect(user)), 1);
    EXPECT_EQ(c.wait_closed(6s), 4003) << "the disconnected socket stayed open\n" << gw_.log();
    WsClient other;
    EXPECT_TRUE(join(other, gw_.port(), unique_user("ctl"))) << "other users still connect";
}

TEST_F(ControlTest, UnknownAndMalformedCommandsAreCountedAndNeverActedOn) {
    auto user = unique_user("ctl");
    WsClient c;
    ASSERT_TRUE(join(c, a_.port(), user));
    EXPECT_EQ(redis_.publish(kControl, json{{"action", "explode"}, {"user", user}}.dump()), 2);
    EXPECT_EQ(redis_.publish(kControl, "disconnect " + user), 2);
    EXPECT_EQ(redis_.publish(kControl, json{{"action", "disconnect"}, {"user", "bad user"}}.dump()), 2);
    EXPECT_EQ(redis_.publish(kControl, json{{"action", "revoke"}, {"jti", "j"}}.dump()), 2);
    for (auto* gw : {&a_, &b_}) {
        EXPECT_TRUE(eventually(
            [&] { return gw->metric("wsgw_control_commands_rejected_total{reason=\"unknown_action\"}") == 1; }));
        EXPECT_TRUE(eventually([&] { return gw->metric("wsgw_control_commands_rejected_total{reason=\"not_json\"}") == 1; }));
        EXPECT_TRUE(eventually([&] { return gw->metric("wsgw_control_commands_rejected_total{reason=\"bad_user\"}") == 1; }));
        EXPECT_TRUE(eventually([&] { return gw->metric("wsgw_control_commands_rejected_total{reason=\"bad_exp\"}") == 1; }));
        EXPECT_EQ(gw->metric("wsgw_control_commands_total{action=\"disconnect\"}"), 0);
        EXPECT_EQ(gw->metric("wsgw_control_commands_total{action=\"revoke\"}"), 0);
    }
    EXPECT_TRUE(still_delivers(redis_, c, user)) << "an ignored command closed the socket";
    EXPECT_NE(a_.log().find("\"event\":\"control_command_rejected\",\"reason\":\"unknown_action\""), std::string::npos)
        << a_.log();
}

TEST(ControlRecoveryTest, ClosesSocketsWhoseTokenWasRevokedWhileTheInstanceWasCutOff) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_REDIS_RECONNECT_MIN_MS", "50"}, {"WSGW_REDIS_RECONNECT_MAX_MS", "300"}});
    auto user = unique_user("ctl");
    auto token = token_with_id(user, "cut-" + user);
    WsClient c;
    ASSERT_TRUE(join_with(c, gw.port(), token));
    // Kept in Redis without a command this instance hears (as if published while it was cut
    // off), then its subscription drops: the reload on resubscribing finds it.
    redis.command("ZADD wsgw:revoked " + std::to_string(unix_now() + 3600) + " cut-" + user);
    EXPECT_TRUE(still_delivers(redis, c, user)) << "nothing told this instance yet";
    redis.command("CLIENT KILL TYPE pubsub");
    EXPECT_EQ(c.wait_closed(10s), 4003) << gw.log();
    EXPECT_TRUE(eventually([&] { return gw.ready(); }, 5s));
    EXPECT_EQ(gw.metric("wsgw_disconnects_total{reason=\"revoked\"}"), 1);
}

TEST(ControlRecoveryTest, StaysUnreadyAndRefusesUpgradesUntilTheDenyListLoads) {
    RedisServer redis;
    redis.command("SET wsgw:revoked not-a-sorted-set");
    GatewayProcess gw(redis.url(), {{"WSGW_REDIS_RECONNECT_MIN_MS", "50"}, {"WSGW_REDIS_RECONNECT_MAX_MS", "300"}},
                      /*wait_ready=*/false);
    ASSERT_TRUE(eventually([&] { return gw.log().find("\"event\":\"revocation_load_failed\"") != std::string::npos; }))
        << gw.log();
    EXPECT_NE(gw.log().find("WRONGTYPE"), std::string::npos) << "the log says why";
    EXPECT_FALSE(gw.ready());
    WsClient early;
    EXPECT_FALSE(early.connect(gw.port(), "/ws?token=" + make_token(unique_user())));
    EXPECT_EQ(early.refused_status(), 503);
    EXPECT_EQ(json::parse(early.refused_body()).value("error", ""), "not_ready") << early.refused_body();

    // Tried again with backoff, on the same subscription.
    ASSERT_TRUE(eventually([&] { return gw.log().find("\"attempt\":2") != std::string::npos; })) << gw.log();
    redis.command("DEL wsgw:revoked");
    EXPECT_TRUE(eventually([&] { return gw.ready(); }, 10s)) << gw.log();
    EXPECT_EQ(count_of(gw.log(), "\"event\":\"redis_subscribed\""), 1u) << "the subscription stayed\n" << gw.log();
    WsClient later;
    EXPECT_TRUE(join(later, gw.port(), unique_user()));
    EXPECT_GE(gw.metric("wsgw_revocation_loads_total{result=\"failed\"}"), 1);
}

TEST(ControlRecoveryTest, WithoutAControlChannelNoCommandIsHeard) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_CONTROL_CHANNEL", ""}});
    auto user = unique_user("ctl");
    WsClient c;
    ASSERT_TRUE(join(c, gw.port(), user));
    EXPECT_EQ(redis.publish(kControl, disconnect(user)), 0) << "nobody listens";
    EXPECT_TRUE(still_delivers(redis, c, user));
}

}  // namespace
}  // namespace wsgw::test
