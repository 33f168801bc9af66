// Faults on the Redis side, against real redis-server processes: restart, freeze, Sentinel
// failover; and last-state replay to sockets that connect late.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>
#include <tuple>
#include <nlohmann/json.hpp>

#include "gateway_process.hpp"
#include "redis_server.hpp"
#include "test_support.hpp"
#include "ws_client.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Publishes until the gateway delivers to `c` (a fresh subscription may take a moment to be
// confirmed end to end); returns the time it took, or -1.
double publish_until_delivered(const RedisServer& redis, WsClient& c, const std::string& user,
                               std::chrono::milliseconds within = 20s) {
    auto t0 = Clock::now();
    while (Clock::now() - t0 < within) {
        redis.publish("user_noti:" + user, read_fixture("update.in.json"));
        if (auto m = c.next(200ms)) return json::parse(*m)["type"] == "update" ? ms_since(t0) : -1;
        if (c.closed()) return -1;
    }
    return -1;
}

// --- Restart and freeze --------------------------------------------------------------------------

TEST(ResilienceTest, RedisKilledAndRestartedOnTheSamePortResubscribesWithClientsConnected) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_REDIS_RECONNECT_MIN_MS", "50"}, {"WSGW_REDIS_RECONNECT_MAX_MS", "500"}});
    auto user = unique_user();
    WsClient c;
    ASSERT_TRUE(join(c, gw.port(), user));

    auto t0 = Clock::now();
    redis.kill_hard();
    ASSERT_TRUE(eventually([&] { return !gw.ready(); }, 5s)) << "readyz stayed 200 with Redis gone";
    double unready_ms = ms_since(t0);
    redis.start();
    auto t1 = Clock::now();
    ASSERT_TRUE(eventually([&] { return gw.ready(); }, 10s)) << gw.log();
    double ready_ms = ms_since(t1);
    double deliver_ms = publish_until_delivered(redis, c, user);
    EXPECT_GE(deliver_ms, 0) << "no delivery after the restart";
    EXPECT_FALSE(c.closed()) << "clients must stay connected through a Redis restart";
    RecordProperty("kill_to_unready_ms", std::to_string(unready_ms));
    RecordProperty("restart_to_ready_ms", std::to_string(ready_ms));
    EXPECT_NE(gw.log().find("\"event\":\"redis_disconnected\""), std::string::npos);
    EXPECT_GE(gw.metric("wsgw_redis_disconnects_total"), 1);
}

TEST(ResilienceTest, FrozenRedisIsDetectedByTheLivenessProbeAndRecoveredAfterThaw) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_REDIS_PROBE_INTERVAL_MS", "300"},
                                    {"WSGW_REDIS_PROBE_TIMEOUT_MS", "700"},
                                    {"WSGW_REDIS_CONNECT_TIMEOUT_MS", "700"},
                                    {"WSGW_REDIS_RECONNECT_MIN_MS", "50"},
                                    {"WSGW_REDIS_RECONNECT_MAX_MS", "500"}});
    auto user = unique_user();
    WsClient c;
    ASSERT_TRUE(join(c, gw.port(), user));
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_redis_probes_total{result=\"ok\"}") >= 1; }, 5s))
        << "the probe never completed a round trip";

    auto t0 = Clock::now();
    redis.freeze();  // TCP stays up; nothing answers
    ASSERT_TRUE(eventually([&] { return !gw.ready(); }, 5s)) << "a frozen Redis went unnoticed";
    double detect_ms = ms_since(t0);
    std::this_thread::sleep_for(1s);
    redis.thaw();
    auto t1 = Clock::now();
    ASSERT_TRUE(eventually([&] { return gw.ready(); }, 15s)) << gw.log();
    double recover_ms = ms_since(t1);
    EXPECT_GE(publish_until_delivered(redis, c, user), 0) << "no delivery after thaw";
    EXPECT_FALSE(c.closed());
    EXPECT_GE(gw.metric("wsgw_redis_probes_total{result=\"timeout\"}"), 1);
    EXPECT_NE(gw.log().find("\"event\":\"redis_probe_timeout\""), std::string::npos);
    RecordProperty("freeze_to_unready_ms", std::to_string(detect_ms));
    RecordProperty("thaw_to_ready_ms", std::to_string(recover_ms));
}

TEST(ResilienceTest, ProbeRoundTripIsExported) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_REDIS_PROBE_INTERVAL_MS", "100"}});
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_redis_probes_total{result=\"ok\"}") >= 3; }, 5s));
    auto body = gw.get("/metrics").body;
    auto pos = body.find("\nwsgw_redis_probe_rtt_seconds ");
    ASSERT_NE(pos, std::string::npos);
    EXPECT_GT(std::stod(body.substr(pos + 30)), 0.0);
}

TEST(ResilienceTest, ProbesOfAnotherGatewayAreIgnoredNotCountedAsBadChannels) {
    RedisServer redis;
    GatewayProcess a(redis.url(), {{"WSGW_REDIS_PROBE_INTERVAL_MS", "100"}});
    GatewayProcess b(redis.url(), {{"WSGW_REDIS_PROBE_INTERVAL_MS", "100"}});
    ASSERT_TRUE(eventually([&] { return b.metric("wsgw_redis_probes_total{result=\"ok\"}") >= 3; }, 5s));
    EXPECT_EQ(a.metric("wsgw_messages_dropped_total{reason=\"bad_channel\"}"), 0);
    EXPECT_EQ(a.metric("wsgw_redis_probes_total{result=\"timeout\"}"), 0);
}

// --- Authentication to Redis ---------------------------------------------------------------------

TEST(ResilienceTest, AuthenticatesToRedisWithThePasswordFromTheUrlForSubscriberAndProbe) {
    RedisServer redis;
    redis.require_password("s3cret-pass");
    GatewayProcess gw("redis://:s3cret-pass@127.0.0.1:" + std::to_string(redis.port()) + "/0",
                      {{"WSGW_REDIS_PROBE_INTERVAL_MS", "100"}});
    auto user = unique_user();
    WsClient c;
    ASSERT_TRUE(join(c, gw.port(), user));
    ASSERT_GE(redis.publish("user_noti:" + user, read_fixture("alert.in.json")), 1);
    auto m = c.next();
    ASSERT_TRUE(m) << "no delivery through an authenticated subscription";
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_redis_probes_total{result=\"ok\"}") >= 2; }))
        << "the probe connection must authenticate too";
    EXPECT_EQ(gw.log().find("s3cret-pass"), std::string::npos) << "the Redis password appeared in the log";
}

TEST(ResilienceTest, AWrongRedisPasswordKeepsItUnreadyAndSaysWhy) {
    RedisServer redis;
    redis.require_password("right");
    GatewayProcess gw("redis://:wrong@127.0.0.1:" + std::to_string(redis.port()) + "/0", {}, /*wait_ready=*/false);
    EXPECT_TRUE(eventually([&] { return gw.log().find("AUTH refused") != std::string::npos; }, 5s)) << gw.log();
    EXPECT_FALSE(gw.ready());
    EXPECT_EQ(gw.log().find("wrong@"), std::string::npos) << "the Redis password appeared in the log";
}

TEST(ResilienceTest, SubscribesThroughAUnixSocketUrl) {
    TempDir dir;
    RedisServer redis(0, "--unixsocket " + dir.file("redis.sock") + " --unixsocketperm 700");
    GatewayProcess gw("unix://" + dir.file("redis.sock"), {{"WSGW_REDIS_PROBE_INTERVAL_MS", "100"}});
    auto user = unique_user();
    WsClient c;
    ASSERT_TRUE(join(c, gw.port(), user));
    ASSERT_GE(redis.publish("user_noti:" + user, read_fixture("alert.in.json")), 1);
    ASSERT_TRUE(c.next()) << "no delivery through the unix-socket subscription";
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_redis_probes_total{result=\"ok\"}") >= 2; }))
        << "the probe must use the unix socket too";
}

// --- Sentinel ------------------------------------------------------------------------------------

class Sentinel {
public:
    // With `password`, clients of the sentinel must AUTH (requirepass).
    Sentinel(const TempDir& dir, std::uint16_t master_port, const std::string& password = "") : port_(free_port()) {
        auto conf = dir.file("sentinel-" + std::to_string(port_) + ".conf");
        std::ofstream(conf) << "port " << port_ << "\nbind 127.0.0.1\ndir " << dir.path() << "\n"
                            << "sentinel monitor wsgw 127.0.0.1 " << master_port << " 1\n"
                            << "sentinel down-after-milliseconds wsgw 1000\n"
                            << "sentinel failover-timeout wsgw 5000\n"
                            << (password.empty() ? "" : "requirepass " + password + "\n");
        pid_ = spawn({"redis-server", conf, "--sentinel"}, {}, "");
        const std::string probe = password.empty() ? "PING" : "AUTH " + password;
        if (!eventually([&] { auto r = redis_command(port_, probe); return r == "PONG" || r == "OK"; }, 5s)) {
            ::kill(pid_, SIGKILL);  // a constructor that throws runs no destructor
            wait_exit(pid_, 5s);
            throw std::runtime_error("redis sentinel did not start");
        }
    }
    ~Sentinel() {
        ::kill(pid_, SIGKILL);
        wait_exit(pid_, 5s);
    }
    std::uint16_t port() const { return port_; }
    std::string command(const std::string& cmd) const { return redis_command(port_, cmd); }

private:
    std::uint16_t port_;
    pid_t pid_;
};

// A master, its replica and one sentinel watching them as "wsgw".
struct SentinelGroup {
    TempDir dir;
    RedisServer master;
    RedisServer replica{0, "--replicaof 127.0.0.1 " + std::to_string(master.port())};
    Sentinel sentinel{dir, master.port()};

    // The sentinel can promote the replica only once it has synced.
    bool synced() {
        return eventually(
            [&] { return master.command("INFO replication").find("connected_slaves:1") != std::string::npos; }, 10s);
    }
    std::tuple<RedisServer&, RedisServer&, Sentinel&> parts() { return {master, replica, sentinel}; }
};

TEST(ResilienceTest, SentinelFailoverMovesTheSubscriptionToTheNewMaster) {
    SentinelGroup group;
    ASSERT_TRUE(group.synced()) << "the replica never synced";
    auto [master, replica, sentinel] = group.parts();

    GatewayProcess gw("redis://127.0.0.1:1/0", {{"WSGW_REDIS_SENTINELS", "127.0.0.1:" + std::to_string(sentinel.port())},
                                                {"WSGW_REDIS_SENTINEL_MASTER", "wsgw"},
                                                {"WSGW_REDIS_RECONNECT_MIN_MS", "50"},
                                                {"WSGW_REDIS_RECONNECT_MAX_MS", "500"}});
    auto user = unique_user();
    WsClient c;
    ASSERT_TRUE(join(c, gw.port(), user));
    ASSERT_GE(publish_until_delivered(master, c, user, 5s), 0) << "no delivery through the first master";

    // The sentinel must know the replica before it can promote it.
    auto t0 = Clock::now();
    ASSERT_TRUE(eventually([&] { return sentinel.command("SENTINEL FAILOVER wsgw") == "OK"; }, 20s))
        << "SENTINEL FAILOVER never accepted";
    ASSERT_TRUE(eventually([&] { return replica.command("INFO replication").find("role:master") != std::string::npos; }, 20s))
        << "the replica was not promoted";
    ASSERT_TRUE(eventually(
        [&] {
            return gw.log().find("\"redis_subscribed\",\"redis\":\"127.0.0.1:" + std::to_string(replica.port()) + "\"") !=
                   std::string::npos;
        },
        20s))
        << "the gateway did not move to the new master:\n" << gw.log();
    double deliver_ms = publish_until_delivered(replica, c, user);
    ASSERT_GE(deliver_ms, 0) << "no delivery through the new master";
    RecordProperty("failover_to_delivery_ms", std::to_string(ms_since(t0)));
    EXPECT_FALSE(c.closed()) << "clients must stay connected through a failover";
    EXPECT_GE(gw.metric("wsgw_redis_sentinel_switches_total"), 1);
}

std::map<std::string, std::string> sentinel_env(const Sentinel& sentinel) {
    return {{"WSGW_REDIS_SENTINELS", "127.0.0.1:" + std::to_string(sentinel.port())},
            {"WSGW_REDIS_SENTINEL_MASTER", "wsgw"},
            {"WSGW_REDIS_RECONNECT_MIN_MS", "50"},
            {"WSGW_REDIS_RECONNECT_MAX_MS", "500"}};
}

// Sharded mode behind Sentinel: the shard channels follow the master, and what was published
// on the new master before they got there is read from the replicated stream.
TEST(ResilienceTest, ShardedModeFollowsASentinelFailoverAndLosesNothing) {
    SentinelGroup group;
    ASSERT_TRUE(group.synced()) << "the replica never synced";
    auto [master, replica, sentinel] = group.parts();
    auto env = sentinel_env(sentinel);
    env["WSGW_REDIS_PUBSUB_MODE"] = "sharded";
    GatewayProcess gw("redis://127.0.0.1:1/0", env);
    const auto user = unique_user("shs");
    auto note = [](int n) { return nlohmann::json{{"type", "notification"}, {"payload", {{"seq", n}}}}.dump(); };
    auto seq = [](WsClient& c) {
        auto m = c.next(10s);
        return m ? nlohmann::json::parse(*m)["payload"].value("seq", -1) : -1;
    };
    WsClient c;
    ASSERT_TRUE(join(c, gw.port(), user));
    ASSERT_TRUE(eventually([&] { return master.fcall_publish(user, "user_noti:" + user, note(1)).find('-') != std::string::npos; }))
        << gw.log();
    EXPECT_EQ(seq(c), 1);
    // The library and the stream reach the replica (its first full sync waits a few seconds).
    ASSERT_TRUE(eventually([&] { return master.command("WAIT 1 1000") == "1"; }, 20s)) << "the replica never caught up";

    ASSERT_TRUE(eventually([&] { return sentinel.command("SENTINEL FAILOVER wsgw") == "OK"; }, 20s));
    ASSERT_TRUE(eventually([&] { return replica.command("INFO replication").find("role:master") != std::string::npos; }, 20s));
    // Published on the new master at once, before the gateway has heard of the failover.
    for (int i = 2; i <= 4; ++i) {
        const auto reply = replica.fcall_publish(user, "user_noti:" + user, note(i));
        ASSERT_NE(reply.find('-'), std::string::npos) << reply;
    }
    for (int i = 2; i <= 4; ++i) EXPECT_EQ(seq(c), i) << gw.log();
    ASSERT_NE(replica.fcall_publish(user, "user_noti:" + user, note(5)).find('-'), std::string::npos);
    EXPECT_EQ(seq(c), 5);
    EXPECT_TRUE(c.silent_for(300ms)) << "nothing twice";
}

TEST(ResilienceTest, SentinelWatchIsSetUpAgainWhenItsConnectionDropsAndStillCatchesAFailover) {
    SentinelGroup group;
    ASSERT_TRUE(group.synced()) << "the replica never synced";
    auto [master, replica, sentinel] = group.parts();
    GatewayProcess gw("redis://127.0.0.1:1/0", sentinel_env(sentinel));
    ASSERT_TRUE(eventually([&] { return count_of(gw.log(), "\"event\":\"redis_sentinel_watching\"") == 1; }))
        << gw.log();

    // The sentinel drops the watch connection on its own (the gateway's is its only subscriber).
    sentinel.command("CLIENT KILL TYPE pubsub");
    ASSERT_TRUE(eventually([&] { return gw.log().find("\"event\":\"redis_sentinel_watch_lost\"") != std::string::npos; }))
        << gw.log();
    ASSERT_TRUE(eventually([&] { return count_of(gw.log(), "\"event\":\"redis_sentinel_watching\"") == 2; }, 10s))
        << "the watch was not set up again:\n" << gw.log();
    EXPECT_EQ(gw.metric("wsgw_redis_disconnects_total"), 0) << "the subscription itself was not touched";

    // Only the watch can tell the gateway: the old master keeps serving its subscribers as a replica.
    ASSERT_TRUE(eventually([&] { return sentinel.command("SENTINEL FAILOVER wsgw") == "OK"; }, 20s));
    ASSERT_TRUE(eventually(
        [&] {
            return gw.log().find("\"redis_subscribed\",\"redis\":\"127.0.0.1:" + std::to_string(replica.port()) + "\"") !=
                   std::string::npos;
        },
        20s))
        << "the gateway did not follow the failover:\n" << gw.log();
    EXPECT_GE(gw.metric("wsgw_redis_sentinel_switches_total"), 1);
}

TEST(ResilienceTest, SentinelPasswordAuthenticatesToTheSentinelsAndIsNeverLogged) {
    TempDir dir;
    RedisServer master;
    Sentinel sentinel(dir, master.port(), "s3ntinel-pass");
    auto env = sentinel_env(sentinel);
    env["WSGW_REDIS_SENTINEL_PASSWORD"] = "s3ntinel-pass";
    GatewayProcess gw("redis://127.0.0.1:1/0", env);
    auto user = unique_user();
    WsClient c;
    ASSERT_TRUE(join(c, gw.port(), user));
    EXPECT_GE(publish_until_delivered(master, c, user, 5s), 0) << "no delivery through the resolved master";
    EXPECT_EQ(gw.log().find("s3ntinel-pass"), std::string::npos) << "the sentinel password appeared in the log";

    env["WSGW_REDIS_SENTINEL_PASSWORD"] = "wrong";
    GatewayProcess refused("redis://127.0.0.1:1/0", env, /*wait_ready=*/false);
    EXPECT_TRUE(eventually([&] { return refused.log().find("redis_sentinel_unresolved") != std::string::npos; }))
        << refused.log();
    EXPECT_FALSE(refused.ready()) << "a sentinel that refused the password resolved the master";
}

// --- Last-state replay ------------------------------------------------------------------------

class ReplayTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        redis_ = new RedisServer();
        gateway_ = new GatewayProcess(redis_->url(), {{"WSGW_REPLAY_COMPLETED_TTL_S", "2"}});
    }
    static void TearDownTestSuite() {
        delete gateway_;
        delete redis_;
    }
    static void publish(const std::string& channel, const std::string& payload) {
        ASSERT_GE(redis_->publish(channel, payload), 1);
    }
    static void settle() { ASSERT_TRUE(marker_passed(*redis_, gateway_->port())); }
    static RedisServer* redis_;
    static GatewayProcess* gateway_;
};
RedisServer* ReplayTest::redis_ = nullptr;
GatewayProcess* ReplayTest::gateway_ = nullptr;

TEST_F(ReplayTest, LateSocketGetsTheLatestStateOfEachOfItsProjectsInOrderThenLiveTraffic) {
    auto user = unique_user(), other = unique_user();
    publish("project:p1:" + user, progress("p1", 10));
    publish("project:p1:" + user, progress("p1", 20));
    publish("user_noti:" + user, completed("p2"));
    publish("user_noti:" + user, read_fixture("notification.in.json"));  // never replayed
    publish("project:p3:" + other, progress("p3", 5));                   // another user's
    settle();

    WsClient c;
    ASSERT_TRUE(c.connect(gateway_->port(), "/ws?token=" + make_token(user)));
    auto first = c.next(), second = c.next();
    ASSERT_TRUE(first && second);
    auto a = json::parse(*first), b = json::parse(*second);
    EXPECT_EQ(a["type"], "project_progress");
    EXPECT_EQ(a["payload"]["project_id"], "p1");
    EXPECT_EQ(a["payload"]["done"], 20) << "only the latest progress is replayed";
    EXPECT_EQ(b["type"], "project_completed");
    EXPECT_EQ(b["payload"]["project_id"], "p2");
    ASSERT_GE(redis_->publish("user_noti:" + user, read_fixture("alert.in.json")), 1);
    auto live = c.next();
    ASSERT_TRUE(live);
    EXPECT_EQ(json::parse(*live)["type"], "alert") << "nothing else may be replayed";
    EXPECT_GE(gateway_->metric("wsgw_replayed_messages_total"), 2);
}

TEST_F(ReplayTest, FilteredSocketIsReplayedOnlyItsProject) {
    auto user = unique_user();
    publish("project:p1:" + user, progress("p1", 30));
    publish("project:p2:" + user, progress("p2", 40));
    settle();
    WsClient c;
    ASSERT_TRUE(c.connect(gateway_->port(), "/ws?token=" + make_token(user) + "&project_id=p2"));
    auto m = c.next();
    ASSERT_TRUE(m);
    EXPECT_EQ(json::parse(*m)["payload"]["project_id"], "p2");
    EXPECT_TRUE(c.silent_for(300ms)) << "a filtered socket was replayed another project";
}

TEST_F(ReplayTest, CompletedProjectsExpireSoonerThanProgress) {
    auto user = unique_user();
    publish("project:p1:" + user, progress("p1", 50));
    publish("project:p2:" + user, completed("p2"));
    settle();
    std::this_thread::sleep_for(2500ms);  // replay_completed_ttl_s is 2 in this suite
    WsClient c;
    ASSERT_TRUE(c.connect(gateway_->port(), "/ws?token=" + make_token(user)));
    auto m = c.next();
    ASSERT_TRUE(m);
    EXPECT_EQ(json::parse(*m)["payload"]["project_id"], "p1");
    EXPECT_TRUE(c.silent_for(300ms)) << "an expired completion was replayed";
}

TEST(ReplayDisabledTest, NothingIsReplayedWhenReplayIsOff) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_REPLAY_MAX_ENTRIES", "0"}});
    auto user = unique_user();
    ASSERT_GE(redis.publish("user_noti:" + user, progress("p1", 1)), 1);
    ASSERT_TRUE(marker_passed(redis, gw.port()));
    WsClient c;
    ASSERT_TRUE(c.connect(gw.port(), "/ws?token=" + make_token(user)));
    EXPECT_TRUE(c.silent_for(300ms));
}

}  // namespace
}  // namespace wsgw::test
