// Redis Cluster, against a real cluster of three primaries and three replicas on loopback:
// messages published on any node reach every instance; instances spread over the nodes; a node
// that dies, freezes, hands its slots to its replica or is forgotten by the others, a node added,
// a slot in migration, and an outage of every node are survived without restarting anything.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <regex>
#include <set>
#include <thread>
#include <nlohmann/json.hpp>

#include "gateway_process.hpp"
#include "redis_cluster.hpp"
#include "test_support.hpp"
#include "ws_client.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// The port of the node the gateway says it is subscribed to (0: none).
std::uint16_t subscribed_node(const GatewayProcess& gw) {
    static const std::regex line(R"re(wsgw_redis_node\{node="127\.0\.0\.1:(\d+)"\} 1)re");
    std::smatch m;
    auto body = gw.get("/metrics").body;
    return std::regex_search(body, m, line) ? static_cast<std::uint16_t>(std::stoi(m[1])) : 0;
}

std::string note(const std::string& text) {
    return json{{"type", "notification"}, {"payload", {{"title", text}, {"body", text}}}}.dump();
}

// Publishes on `node` until `c` receives it (a moved subscription takes a moment); ms or -1.
double publish_until_delivered(RedisServer& node, WsClient& c, const std::string& user,
                               std::chrono::milliseconds within = 20s) {
    auto t0 = Clock::now();
    while (Clock::now() - t0 < within) {
        node.publish("user_noti:" + user, note("probe"));
        if (auto m = c.next(200ms)) return json::parse(*m)["type"] == "notification" ? ms_since(t0) : -1;
        if (c.closed()) return -1;
    }
    return -1;
}

// A gateway whose first choice is the node on `port`, and a client of a fresh user on it.
struct InstanceOn {
    InstanceOn(const RedisCluster& cluster, const ClusterTopology& topology, std::uint16_t port,
               const std::map<std::string, std::string>& overrides = {})
        : gw("redis://127.0.0.1:1/0", with(cluster_env(cluster.seeds(), instance_id_choosing(topology, port)), overrides)) {}
    static std::map<std::string, std::string> with(std::map<std::string, std::string> env,
                                                   const std::map<std::string, std::string>& overrides) {
        for (const auto& [k, v] : overrides) env[k] = v;
        return env;
    }
    // The instance is subscribed to the node on `port` (its first choice), and the client is
    // registered on it.
    ::testing::AssertionResult joined_on(std::uint16_t port) {
        if (auto on = subscribed_node(gw); on != port)
            return ::testing::AssertionFailure() << "subscribed to the node on port " << on << ", not " << port;
        return join(c, gw.port(), user);
    }
    GatewayProcess gw;
    std::string user = unique_user();
    WsClient c;
};

// The first node of `t` for which `pick` holds (throws, failing the test, when none does).
template <class Pick>
const ClusterNode& node_where(const ClusterTopology& t, Pick pick) {
    for (const auto& n : t.nodes)
        if (pick(n)) return n;
    throw std::runtime_error("no such node in the cluster's topology");
}

const ClusterNode& first_primary(const ClusterTopology& t) {
    return node_where(t, [](const ClusterNode& n) { return n.primary && !n.slots.empty(); });
}

const ClusterNode& first_replica(const ClusterTopology& t) {
    return node_where(t, [](const ClusterNode& n) { return !n.primary; });
}

// The primary that holds the deny list's key.
const ClusterNode& deny_list_owner(const ClusterTopology& t) {
    const auto slot = key_slot("wsgw:revoked");
    return node_where(t, [&](const ClusterNode& n) { return t.slot_owner(slot) == &n; });
}

// The control command that makes every instance write `user`'s token id to the deny list.
std::string revoke_command(const std::string& user) {
    return json{{"action", "revoke"}, {"jti", "jti-" + user}, {"exp", 4102444800LL}}.dump();
}

TEST(ClusterTest, MessagesPublishedOnAnyNodeReachEveryInstanceAndInstancesSpreadOverNodes) {
    RedisCluster cluster;
    auto topology = cluster.topology();
    // Three instances whose first choices are three different nodes, primaries and a replica.
    std::vector<std::uint16_t> wanted;
    for (const auto& n : topology.nodes)
        if (n.primary && wanted.size() < 2) wanted.push_back(n.port);
    wanted.push_back(first_replica(topology).port);

    std::vector<std::unique_ptr<GatewayProcess>> gws;
    std::vector<std::unique_ptr<WsClient>> clients;
    std::vector<std::string> users;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        auto id = instance_id_choosing(topology, wanted[i], "spread" + std::to_string(i));
        // The first instance knows one seed only, and finds the rest.
        auto seeds = i == 0 ? cluster.seeds(5, 1) : cluster.seeds();
        gws.push_back(std::make_unique<GatewayProcess>("redis://127.0.0.1:1/0", cluster_env(seeds, id)));
        users.push_back(unique_user());
        clients.push_back(std::make_unique<WsClient>());
        ASSERT_TRUE(join(*clients.back(), gws.back()->port(), users.back()));
    }
    std::set<std::uint16_t> used;
    for (std::size_t i = 0; i < gws.size(); ++i) {
        EXPECT_EQ(subscribed_node(*gws[i]), wanted[i]) << gws[i]->log();
        used.insert(subscribed_node(*gws[i]));
        EXPECT_EQ(gws[i]->metric("wsgw_redis_cluster_nodes"), 6);
    }
    EXPECT_EQ(used.size(), 3u) << "instances are spread over the nodes";

    // Every node, primary or replica, reaches every instance's users.
    for (std::size_t n = 0; n < cluster.size(); ++n)
        for (std::size_t u = 0; u < users.size(); ++u)
            // PUBLISH counts only the receiving node's own subscribers; the bus carries it on.
            ASSERT_GE(cluster.node(n).publish("user_noti:" + users[u], note("via " + std::to_string(n))), 0);
    for (std::size_t u = 0; u < users.size(); ++u) {
        std::set<std::string> seen;
        for (std::size_t n = 0; n < cluster.size(); ++n) {
            auto m = clients[u]->next();
            ASSERT_TRUE(m) << "user " << u << " got " << seen.size() << " of " << cluster.size();
            seen.insert(json::parse(*m)["payload"]["title"].get<std::string>());
        }
        EXPECT_EQ(seen.size(), cluster.size());
        EXPECT_TRUE(clients[u]->silent_for(200ms)) << "each message exactly once";
    }
}

TEST(ClusterTest, KilledNodeIsLeftAndDeliveryResumesWithinTheBound) {
    RedisCluster cluster;
    auto topology = cluster.topology();
    // The hardest node to lose: the primary that also holds the revocation list's slot.
    auto port = deny_list_owner(topology).port;
    InstanceOn on(cluster, topology, port);
    auto& [gw, user, c] = on;
    ASSERT_TRUE(on.joined_on(port));

    auto t0 = Clock::now();
    cluster.node_on(port).kill_hard();
    ASSERT_TRUE(eventually([&] { return !gw.ready(); }, 5s)) << "readyz stayed 200 with its node gone";
    ASSERT_TRUE(eventually([&] { return gw.ready(); }, 20s)) << gw.log();
    double ready_ms = ms_since(t0);
    auto now_on = subscribed_node(gw);
    EXPECT_NE(now_on, port);
    EXPECT_NE(now_on, 0);
    // Through a node other than the one it is on: the message crosses the cluster bus.
    RedisServer* other = nullptr;
    for (std::size_t i = 0; i < cluster.size(); ++i)
        if (cluster.node(i).running() && cluster.node(i).port() != now_on) other = &cluster.node(i);
    ASSERT_GE(publish_until_delivered(*other, c, user), 0) << gw.log();
    EXPECT_FALSE(c.closed()) << "clients stay connected while the gateway changes nodes";
    EXPECT_GE(gw.metric("wsgw_redis_node_switches_total"), 1);
    EXPECT_NE(gw.log().find("\"event\":\"redis_cluster_node_switch\""), std::string::npos);
    RecordProperty("kill_to_ready_ms", std::to_string(ready_ms));
}

TEST(ClusterTest, FrozenNodeIsCaughtByTheProbeAndLeft) {
    RedisCluster cluster;
    auto topology = cluster.topology();
    auto port = first_replica(topology).port;
    InstanceOn on(cluster, topology, port);
    auto& [gw, user, c] = on;
    ASSERT_TRUE(on.joined_on(port));

    auto t0 = Clock::now();
    cluster.node_on(port).freeze();  // holds its sockets, answers nothing: only the probe can tell
    ASSERT_TRUE(eventually([&] { return !gw.ready(); }, 5s)) << gw.log();
    ASSERT_TRUE(eventually([&] { return gw.ready(); }, 20s)) << gw.log();
    double ready_ms = ms_since(t0);
    EXPECT_NE(gw.log().find("\"event\":\"redis_probe_timeout\""), std::string::npos);
    EXPECT_NE(subscribed_node(gw), port);
    ASSERT_GE(publish_until_delivered(cluster.node_on(first_primary(topology).port), c, user), 0) << gw.log();
    RecordProperty("freeze_to_ready_ms", std::to_string(ready_ms));
    cluster.node_on(port).thaw();
}

TEST(ClusterTest, PrimaryFailoverIsSurvivedAndKeyedCommandsFollowTheNewPrimary) {
    RedisCluster cluster;
    auto topology = cluster.topology();
    const auto& owner = deny_list_owner(topology);
    auto owner_port = owner.port;
    auto replica_port = node_where(topology, [&](const ClusterNode& n) { return n.primary_id == owner.id; }).port;
    // No periodic refresh during the test: only the MOVED can tell the instance of the new owner.
    InstanceOn on(cluster, topology, owner_port, {{"WSGW_REDIS_CLUSTER_REFRESH_MS", "600000"}});
    auto& [gw, user, c] = on;
    ASSERT_TRUE(on.joined_on(owner_port));

    ASSERT_EQ(cluster.node_on(replica_port).command("CLUSTER FAILOVER"), "OK");
    ASSERT_TRUE(eventually(
        [&] { return cluster.node_on(replica_port).command("INFO replication").find("role:master") != std::string::npos; },
        20s))
        << "the replica was not promoted";
    // Subscriptions on the old primary (now a replica) keep working: Pub/Sub is cluster-wide.
    ASSERT_GE(publish_until_delivered(cluster.node_on(replica_port), c, user), 0) << gw.log();
    EXPECT_TRUE(gw.ready());

    // A revoke makes every instance write the deny list: the write goes to the new primary
    // (after a MOVED from the old one, whose slots moved).
    const auto refreshes = gw.metric("wsgw_redis_topology_refreshes_total{result=\"ok\"}");
    ASSERT_GE(cluster.node(0).publish("wsgw:control", revoke_command(user)), 1);
    ASSERT_TRUE(eventually(
        [&] { return !cluster.node_on(replica_port).command("ZSCORE wsgw:revoked jti-" + user).empty(); }, 10s))
        << gw.log();
    EXPECT_FALSE(c.closed());
    // The MOVED made the instance read the topology again at once: the next write goes straight
    // to the new primary.
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_redis_topology_refreshes_total{result=\"ok\"}") > refreshes; }, 5s))
        << gw.log();
    auto moved = [&] { return count_of(gw.log(), "\"kind\":\"MOVED\""); };
    const auto moved_first = moved();  // the write and its pruning, both sent to the old primary
    EXPECT_GE(moved_first, 1u) << gw.log();
    const auto other = unique_user();
    ASSERT_GE(cluster.node(0).publish("wsgw:control", revoke_command(other)), 1);
    ASSERT_TRUE(eventually(
        [&] { return !cluster.node_on(replica_port).command("ZSCORE wsgw:revoked jti-" + other).empty(); }, 10s))
        << gw.log();
    EXPECT_EQ(moved(), moved_first) << "the second write was sent to the old primary again\n" << gw.log();
}

// The deny list's slot is being migrated to another primary and the key is not on its old one
// yet: the old primary answers ASK, and the write goes to the new one after ASKING.
TEST(ClusterTest, KeyedCommandsFollowAnAskDuringASlotMigration) {
    RedisCluster cluster;
    auto topology = cluster.topology();
    const auto slot = key_slot("wsgw:revoked");
    const auto* source = &deny_list_owner(topology);
    const auto* target = &node_where(
        topology, [&](const ClusterNode& n) { return n.primary && !n.slots.empty() && n.id != source->id; });
    InstanceOn on(cluster, topology, target->port);
    auto& [gw, user, c] = on;
    ASSERT_TRUE(on.joined_on(target->port));
    ASSERT_EQ(cluster.node_on(source->port).command("EXISTS wsgw:revoked"), "0");

    const auto s = std::to_string(slot);
    ASSERT_EQ(cluster.node_on(target->port).command("CLUSTER SETSLOT " + s + " IMPORTING " + source->id), "OK");
    ASSERT_EQ(cluster.node_on(source->port).command("CLUSTER SETSLOT " + s + " MIGRATING " + target->id), "OK");
    ASSERT_GE(cluster.node_on(target->port).publish("wsgw:control", revoke_command(user)), 1);
    ASSERT_TRUE(eventually(
        [&] { return cluster.node_on(target->port).command("CLUSTER COUNTKEYSINSLOT " + s) == "1"; }, 10s))
        << gw.log();
    EXPECT_EQ(cluster.node_on(source->port).command("CLUSTER COUNTKEYSINSLOT " + s), "0");
    EXPECT_NE(gw.log().find("\"kind\":\"ASK\""), std::string::npos) << gw.log();
    EXPECT_EQ(gw.log().find("\"event\":\"revocation_store_failed\""), std::string::npos) << gw.log();
    ASSERT_GE(publish_until_delivered(cluster.node_on(target->port), c, user), 0) << "delivery unaffected";
}

// The deny list's primary stops answering (SIGSTOP) while the instance is subscribed elsewhere:
// a revoke's write fails after the reply deadline with a log line, and delivery never pauses.
TEST(ClusterTest, AWriteToAFrozenPrimaryTimesOutWithoutDisturbingDelivery) {
    RedisCluster cluster;
    auto topology = cluster.topology();
    const auto* owner = &deny_list_owner(topology);
    const auto* elsewhere =
        &node_where(topology, [&](const ClusterNode& n) { return n.id != owner->id && n.primary_id != owner->id; });
    InstanceOn on(cluster, topology, elsewhere->port);
    auto& [gw, user, c] = on;
    ASSERT_TRUE(on.joined_on(elsewhere->port));

    auto& here = cluster.node_on(elsewhere->port);
    cluster.node_on(owner->port).freeze();
    auto t0 = Clock::now();
    ASSERT_GE(here.publish("wsgw:control", revoke_command(user)), 1);
    // While the write waits for its deadline (the connect timeout, 1 s here), messages flow.
    for (int i = 0; i < 5; ++i) {
        ASSERT_GE(here.publish("user_noti:" + user, note("during")), 1);
        auto m = c.next(500ms);
        ASSERT_TRUE(m) << "message " << i << " held up by the frozen primary\n" << gw.log();
        EXPECT_EQ(json::parse(*m)["type"], "notification");
    }
    ASSERT_TRUE(eventually(
        [&] { return gw.log().find("\"event\":\"revocation_store_failed\"") != std::string::npos; }, 5s))
        << gw.log();
    RecordProperty("frozen_write_failed_after_ms", std::to_string(ms_since(t0)));
    EXPECT_EQ(subscribed_node(gw), elsewhere->port) << "the subscription did not move";
    EXPECT_FALSE(c.closed());
    cluster.node_on(owner->port).thaw();
}

// The rest of the cluster forgets the node the instance is on (CLUSTER FORGET: no member any
// more, while the node itself still runs and answers): the next topology refresh leaves it.
TEST(ClusterTest, ANodeTheClusterNoLongerListsIsLeftOnTheNextRefresh) {
    RedisCluster cluster;
    auto topology = cluster.topology();
    const auto& gone = first_replica(topology);
    InstanceOn on(cluster, topology, gone.port);
    auto& [gw, user, c] = on;
    ASSERT_TRUE(on.joined_on(gone.port));

    for (const auto& n : topology.nodes) {
        if (n.id == gone.id) continue;
        ASSERT_EQ(cluster.node_on(n.port).command("CLUSTER FORGET " + gone.id), "OK");
    }
    auto t0 = Clock::now();
    ASSERT_TRUE(eventually([&] { return subscribed_node(gw) != gone.port && subscribed_node(gw) != 0; }, 10s))
        << gw.log();
    RecordProperty("forget_to_switch_ms", std::to_string(ms_since(t0)));
    EXPECT_NE(gw.log().find("\"event\":\"redis_cluster_node_left\""), std::string::npos) << gw.log();
    EXPECT_NE(gw.log().find("\"state\":\"not a member\""), std::string::npos) << gw.log();
    ASSERT_GE(publish_until_delivered(cluster.node_on(first_primary(topology).port), c, user), 0) << gw.log();
    EXPECT_FALSE(c.closed());
}

// Every node down at once: not ready, clients kept, an unreachable cluster logged; once the
// nodes come back (with their cluster state), the instance subscribes again by itself.
TEST(ClusterTest, AWholeClusterOutageIsWaitedOutAndRecoveredFrom) {
    RedisCluster cluster;
    auto topology = cluster.topology();
    const auto port = first_primary(topology).port;
    InstanceOn on(cluster, topology, port);
    auto& [gw, user, c] = on;
    ASSERT_TRUE(on.joined_on(port));

    for (std::size_t i = 0; i < cluster.size(); ++i) cluster.node(i).kill_hard();
    ASSERT_TRUE(eventually([&] { return !gw.ready(); }, 5s)) << gw.log();
    ASSERT_TRUE(eventually(
        [&] { return gw.log().find("\"event\":\"redis_cluster_unreachable\"") != std::string::npos; }, 10s))
        << gw.log();
    EXPECT_FALSE(c.closed()) << "clients stay connected through the outage";

    for (std::size_t i = 0; i < cluster.size(); ++i) cluster.node(i).start();
    auto t0 = Clock::now();
    ASSERT_TRUE(eventually([&] { return cluster.whole(); }, 30s)) << "the cluster did not reassemble";
    ASSERT_TRUE(eventually([&] { return gw.ready(); }, 20s)) << gw.log();
    RecordProperty("nodes_back_to_ready_ms", std::to_string(ms_since(t0)));
    ASSERT_GE(publish_until_delivered(cluster.node(0), c, user), 0) << gw.log();
    EXPECT_FALSE(c.closed());
}

// A client leaves an instance on the publishing node and resumes at once on an instance whose
// node gets the messages later, over the cluster bus: the id it resumes from may not have reached
// that instance yet. It is waited for, and the client receives exactly what followed it, in order.
TEST(ClusterTest, AResumeOnAnInstanceBehindTheClusterBusLosesAndDoublesNothing) {
    RedisCluster cluster;
    auto topology = cluster.topology();
    const auto near = first_primary(topology).port;
    const auto far = first_replica(topology).port;
    // Above what this test publishes, so the window's per-user bound cannot evict the last id;
    // the whole stream (1000) is under the send queue's default 1024, so a reader starved on a
    // loaded machine cannot be closed as a slow consumer either.
    const std::map<std::string, std::string> window{{"WSGW_RESUME_MAX_MESSAGES_PER_USER", "4096"}};
    InstanceOn a(cluster, topology, near, window);
    InstanceOn b(cluster, topology, far, window);
    ASSERT_TRUE(a.joined_on(near));
    ASSERT_EQ(subscribed_node(b.gw), far);

    constexpr int kTotal = 1000;
    std::thread publisher([&, &node = cluster.node_on(near)] {
        for (int i = 1; i <= kTotal; ++i) {
            node.publish("user_noti:" + a.user, json{{"type", "notification"}, {"payload", {{"seq", i}}}}.dump());
            if (i % 10 == 0) std::this_thread::sleep_for(2ms);
        }
    });
    std::vector<int> seen;
    std::string last_id;
    auto read = [&](WsClient& c, std::size_t until) {
        while (seen.size() < until) {
            auto m = c.next(5s);
            if (!m) return;
            auto j = json::parse(*m);
            if (j["type"] != "notification") {
                ADD_FAILURE() << "a " << j["type"] << " after " << seen.size() << " messages: " << *m;
                return;
            }
            seen.push_back(j["payload"]["seq"].get<int>());
            last_id = j["id"].get<std::string>();
        }
    };
    read(a.c, 300);
    a.c.close();
    const bool resumed = b.c.connect(b.gw.port(), "/ws?token=" + make_token(a.user) + "&last_id=" + last_id);
    if (resumed) read(b.c, kTotal);
    publisher.join();
    ASSERT_TRUE(resumed);
    ASSERT_EQ(seen.size(), static_cast<std::size_t>(kTotal)) << "last seen " << (seen.empty() ? 0 : seen.back());
    for (int i = 0; i < kTotal; ++i) ASSERT_EQ(seen[static_cast<std::size_t>(i)], i + 1) << "at position " << i;
    EXPECT_TRUE(b.c.silent_for(300ms)) << "nothing twice";
    EXPECT_EQ(b.gw.metric("wsgw_resume_requests_total{outcome=\"hit\"}"), 1);
}

// A node added to the running cluster (CLUSTER MEET) is counted at the next refresh, but a
// subscribed instance stays where it is (moving would mean a resubscribe for nothing); instances
// started from then on rank it with the others and may subscribe to it, and messages published
// on the old nodes reach them there.
TEST(ClusterTest, ANodeAddedToTheClusterIsCountedAndTakenByInstancesStartedLater) {
    RedisCluster cluster;
    auto topology = cluster.topology();
    const auto port = first_primary(topology).port;
    InstanceOn before(cluster, topology, port);
    ASSERT_TRUE(before.joined_on(port));

    auto& added = cluster.add_node();
    ASSERT_TRUE(eventually([&] { return before.gw.metric("wsgw_redis_cluster_nodes") == 7; }, 5s)) << before.gw.log();
    EXPECT_EQ(subscribed_node(before.gw), port) << "a healthy node is not left for a new one";
    EXPECT_EQ(before.gw.metric("wsgw_redis_node_switches_total"), 0);

    InstanceOn after(cluster, cluster.topology(), added.port());
    ASSERT_TRUE(after.joined_on(added.port())) << after.gw.log();
    ASSERT_GE(publish_until_delivered(cluster.node_on(port), after.c, after.user), 0) << after.gw.log();
    ASSERT_GE(publish_until_delivered(added, before.c, before.user), 0) << before.gw.log();
}

TEST(ClusterTest, StartsWithASeedDownAndUsesTheOthers) {
    RedisCluster cluster;
    auto dead = free_port();
    GatewayProcess gw("redis://127.0.0.1:1/0",
                      cluster_env("127.0.0.1:" + std::to_string(dead) + "," + cluster.seeds(2, 1), "seed-test"));
    EXPECT_NE(subscribed_node(gw), 0);
    EXPECT_NE(gw.log().find("\"event\":\"redis_cluster_topology_unreadable\""), std::string::npos) << gw.log();
    auto user = unique_user();
    WsClient c;
    ASSERT_TRUE(join(c, gw.port(), user));
    ASSERT_GE(publish_until_delivered(cluster.node(4), c, user), 0);
}

}  // namespace
}  // namespace wsgw::test
