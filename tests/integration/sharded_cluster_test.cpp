// Sharded mode on a real Redis Cluster of three primaries and three replicas: each user's shard
// channel is subscribed on the primary that owns the user's slot, an instance receives only its
// own users' messages, and a primary failover loses nothing the replicated stream holds.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "gateway_process.hpp"
#include "redis_cluster.hpp"
#include "test_support.hpp"
#include "ws_client.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;

std::string numbered(int n) { return json{{"type", "notification"}, {"payload", {{"seq", n}}}}.dump(); }

std::map<std::string, std::string> sharded_cluster_env(const RedisCluster& cluster) {
    auto env = cluster_env(cluster.seeds(), unique_user("gw"));
    env["WSGW_REDIS_PUBSUB_MODE"] = "sharded";
    return env;
}

// FCALL on the primary that owns the user's slot now (one MOVED followed); the id, or the error.
std::string publish(RedisCluster& cluster, const std::string& user, int n) {
    const auto topology = cluster.topology();
    const auto* owner = topology.slot_owner(key_slot(user));
    if (!owner) return "ERR no owner";
    auto reply = fcall_publish(owner->port, user, "user_noti:" + user, numbered(n));
    if (reply.starts_with("MOVED")) {
        const auto to = parse_redirect(reply);
        if (to) reply = fcall_publish(to->second, user, "user_noti:" + user, numbered(n));
    }
    return reply;
}

int next_seq(WsClient& c, std::chrono::milliseconds timeout = 5s) {
    auto m = c.next(timeout);
    if (!m) return -1;
    auto j = json::parse(*m);
    return j["type"] == "notification" ? j["payload"]["seq"].get<int>() : -2;
}

// One fresh user whose slot each primary owns.
std::vector<std::string> a_user_per_primary(const ClusterTopology& topology) {
    std::map<std::uint16_t, std::string> by_port;
    for (int i = 0; by_port.size() < 3 && i < 10'000; ++i) {
        auto user = unique_user("shc");
        if (const auto* owner = topology.slot_owner(key_slot(user)); owner && !by_port.count(owner->port))
            by_port[owner->port] = user;
    }
    std::vector<std::string> users;
    for (auto& [port, user] : by_port) users.push_back(user);
    return users;
}

bool callable(RedisCluster& cluster) {
    // Every primary has the library once the gateway has read the topology.
    for (const auto& user : a_user_per_primary(cluster.topology()))
        if (publish(cluster, user, 0).find('-') == std::string::npos) return false;
    return true;
}

TEST(ShardedClusterTest, DeliversForUsersOnEveryPrimaryAndAnInstanceReceivesOnlyItsOwn) {
    RedisCluster cluster;
    GatewayProcess a("redis://127.0.0.1:1/0", sharded_cluster_env(cluster));
    GatewayProcess b("redis://127.0.0.1:1/0", sharded_cluster_env(cluster));
    ASSERT_TRUE(eventually([&] { return callable(cluster); }, 10s)) << "the library is not on every primary\n" << a.log();
    const auto users = a_user_per_primary(cluster.topology());
    ASSERT_EQ(users.size(), 3u);
    std::vector<std::unique_ptr<WsClient>> clients;
    for (const auto& user : users) {
        clients.push_back(std::make_unique<WsClient>());
        ASSERT_TRUE(join(*clients.back(), a.port(), user));
    }
    const auto a_before = messages_received(a), b_before = messages_received(b);
    for (int i = 1; i <= 3; ++i)
        for (const auto& user : users) ASSERT_NE(publish(cluster, user, i).find('-'), std::string::npos);
    std::vector<std::string> last_ids;
    for (auto& c : clients) {
        for (int i = 1; i <= 3; ++i) {
            auto m = c->next(5s);
            ASSERT_TRUE(m);
            auto j = json::parse(*m);
            EXPECT_EQ(j["payload"]["seq"], i);
            if (i == 3) last_ids.push_back(j["id"]);
        }
    }
    EXPECT_EQ(messages_received(a) - a_before, 9);
    EXPECT_EQ(messages_received(b) - b_before, 0) << "an instance with none of these users receives none of their messages";
    EXPECT_EQ(a.metric("wsgw_shard_subscriptions"), 3);
    EXPECT_GE(a.metric("wsgw_shard_subscribe_commands_total"), 3) << "one slot per SSUBSCRIBE in a cluster";

    // All three come back at once on the other instance: their stream reads, on three primaries,
    // run side by side.
    clients.clear();
    for (const auto& user : users)
        for (int i = 4; i <= 5; ++i) ASSERT_NE(publish(cluster, user, i).find('-'), std::string::npos);
    for (std::size_t k = 0; k < users.size(); ++k) {
        clients.push_back(std::make_unique<WsClient>());
        ASSERT_TRUE(clients.back()->connect(b.port(), "/ws?token=" + make_token(users[k]) + "&last_id=" + last_ids[k]));
    }
    for (auto& c : clients)
        for (int i = 4; i <= 5; ++i) EXPECT_EQ(next_seq(*c), i) << b.log();
    EXPECT_EQ(b.metric("wsgw_stream_reads_total{result=\"resumed\"}"), 3);
}

TEST(ShardedClusterTest, APrimaryFailoverLosesNothingTheReplicatedStreamHolds) {
    RedisCluster cluster;
    GatewayProcess a("redis://127.0.0.1:1/0", sharded_cluster_env(cluster));
    GatewayProcess b("redis://127.0.0.1:1/0", sharded_cluster_env(cluster));
    ASSERT_TRUE(eventually([&] { return callable(cluster); }, 10s)) << a.log();
    const auto user = a_user_per_primary(cluster.topology()).front();
    const auto topology = cluster.topology();
    const auto* owner = topology.slot_owner(key_slot(user));
    ASSERT_TRUE(owner);
    std::uint16_t replica_port = 0;
    for (const auto& n : topology.nodes)
        if (n.primary_id == owner->id) replica_port = n.port;
    ASSERT_NE(replica_port, 0);

    WsClient live;
    ASSERT_TRUE(join(live, a.port(), user));
    std::string last_id;
    {
        WsClient leaving;
        ASSERT_TRUE(join(leaving, b.port(), user));
        for (int i = 1; i <= 3; ++i) ASSERT_NE(publish(cluster, user, i).find('-'), std::string::npos);
        for (int i = 1; i <= 3; ++i) {
            auto m = leaving.next(5s);
            ASSERT_TRUE(m);
            last_id = json::parse(*m)["id"];
        }
        for (int i = 1; i <= 3; ++i) EXPECT_EQ(next_seq(live), i);
    }
    // The replica takes over (its stream copy is in sync: a manual failover waits for that).
    ASSERT_EQ(cluster.node_on(replica_port).command("CLUSTER FAILOVER"), "OK");
    ASSERT_TRUE(eventually(
        [&] { return cluster.node_on(replica_port).command("INFO replication").find("role:master") != std::string::npos; },
        20s));
    for (int i = 4; i <= 8; ++i) ASSERT_NE(publish(cluster, user, i).find('-'), std::string::npos) << i;

    // The socket that stayed follows the slot to its new owner, and the gap is read from the stream.
    for (int i = 4; i <= 8; ++i) EXPECT_EQ(next_seq(live, 10s), i) << a.log();
    EXPECT_GE(a.metric("wsgw_stream_reads_total{result=\"gap\"}"), 1) << "the move read the stream from the last id";
    // A socket that left before the failover resumes on the other instance from the new primary.
    WsClient back;
    ASSERT_TRUE(back.connect(b.port(), "/ws?token=" + make_token(user) + "&last_id=" + last_id));
    for (int i = 4; i <= 8; ++i) EXPECT_EQ(next_seq(back), i) << b.log();
    ASSERT_NE(publish(cluster, user, 9).find('-'), std::string::npos);
    EXPECT_EQ(next_seq(live), 9);
    EXPECT_EQ(next_seq(back), 9);
    EXPECT_TRUE(live.silent_for(300ms)) << "nothing twice";
    EXPECT_TRUE(back.silent_for(300ms)) << "nothing twice";
}

// The streams outlive the fleet: every instance stopped, new ones started, and a client resumes
// exactly where it was; an id the stream no longer holds gets its resync at once; a publisher
// naming another user's channel is refused on the primary it reaches.
TEST(ShardedClusterTest, ResumesAfterTheWholeFleetRestartedAndRefusesBadPublishes) {
    RedisCluster cluster;
    const auto user = a_user_per_primary(cluster.topology()).back();
    std::string last_id;
    {
        GatewayProcess a("redis://127.0.0.1:1/0", sharded_cluster_env(cluster));
        ASSERT_TRUE(eventually([&] { return callable(cluster); }, 10s)) << a.log();
        WsClient c;
        ASSERT_TRUE(join(c, a.port(), user));
        for (int i = 1; i <= 2; ++i) ASSERT_NE(publish(cluster, user, i).find('-'), std::string::npos);
        for (int i = 1; i <= 2; ++i) {
            auto m = c.next(5s);
            ASSERT_TRUE(m);
            last_id = json::parse(*m)["id"];
        }
    }
    for (int i = 3; i <= 5; ++i) ASSERT_NE(publish(cluster, user, i).find('-'), std::string::npos);
    const auto topology = cluster.topology();
    const auto* owner = topology.slot_owner(key_slot(user));
    ASSERT_TRUE(owner);
    const auto refused = fcall_publish(owner->port, user, "user_noti:someone-else", numbered(9));
    EXPECT_TRUE(refused.starts_with("ERR wsgw_publish")) << refused;

    GatewayProcess fresh("redis://127.0.0.1:1/0", sharded_cluster_env(cluster));
    WsClient back;
    ASSERT_TRUE(back.connect(fresh.port(), "/ws?token=" + make_token(user) + "&last_id=" + last_id));
    for (int i = 3; i <= 5; ++i) EXPECT_EQ(next_seq(back), i) << fresh.log();
    EXPECT_TRUE(back.silent_for(300ms)) << "the refused publish reached no one";

    WsClient gone;
    ASSERT_TRUE(gone.connect(fresh.port(), "/ws?token=" + make_token(user) + "&last_id=1-0"));
    auto first = gone.next(3s);
    ASSERT_TRUE(first);
    EXPECT_EQ(json::parse(*first)["type"], "resync");
}

}  // namespace
}  // namespace wsgw::test
