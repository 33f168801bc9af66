// ClusterNodeChoice: the order in which cluster nodes are asked for the topology, the node this
// instance subscribes to, and how long a node that failed it is passed over (the clock injected).
#include "wsgw/cluster_node_choice.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

using namespace wsgw;
using namespace std::chrono_literals;

namespace {

using Clock = ClusterNodeChoice::Clock;

const Clock::time_point kStart{std::chrono::hours(1)};

ClusterNode node(char id, std::uint16_t port, bool healthy = true) {
    ClusterNode n;
    n.id = std::string(40, id);
    n.host = "10.0.0.1";
    n.port = port;
    n.primary = true;
    n.healthy = healthy;
    return n;
}

// Three healthy primaries and one failed node, which is never ranked.
ClusterTopology cluster() { return ClusterTopology{{node('a', 7001), node('b', 7002), node('c', 7003), node('d', 7004, false)}}; }

RedisEndpoint endpoint(std::string host, std::uint16_t port) { return with_address(RedisEndpoint{}, std::move(host), port); }

// The credentials every node is reached with.
RedisEndpoint credentials() {
    RedisEndpoint base;
    base.password = "secret";
    return base;
}

std::vector<std::uint16_t> ports(const std::vector<RedisEndpoint>& endpoints) {
    std::vector<std::uint16_t> out;
    for (const auto& ep : endpoints) out.push_back(ep.port);
    return out;
}

std::vector<std::uint16_t> ranked_ports(const ClusterTopology& topology, const ClusterNodeChoice& choice) {
    std::vector<std::uint16_t> out;
    for (const auto* n : rank_nodes(topology, choice.instance_id())) out.push_back(n->port);
    return out;
}

// The instance's ranking of cluster(), checked once so that each test can name its nodes.
struct Ranked {
    ClusterTopology topology = cluster();
    ClusterNodeChoice choice{"instance-1"};
    std::vector<std::uint16_t> order = ranked_ports(topology, choice);

    RedisEndpoint at(std::size_t rank) const { return endpoint("10.0.0.1", order.at(rank)); }
};

}  // namespace

TEST(ClusterNodeChoice, TheAvoidTimeIsThirtySeconds) {
    static_assert(ClusterNodeChoice::kAvoidFailedNode == 30s);
}

TEST(ClusterNodeChoice, AsksOnlyTheSeedsBeforeTheTopologyIsKnown) {
    ClusterNodeChoice choice("instance-1");
    auto asked = choice.ask_order(nullptr, {endpoint("seed-1", 7000), endpoint("seed-2", 7000)}, credentials(),
                                  nullptr, kStart);
    ASSERT_EQ(asked.size(), 2u);
    EXPECT_EQ(asked[0].host, "seed-1");
    EXPECT_EQ(asked[1].host, "seed-2");
}

TEST(ClusterNodeChoice, AsksTheKnownHealthyNodesInThisInstancesRankingThenTheSeedsEachOnce) {
    Ranked r;
    ASSERT_EQ(r.order.size(), 3u) << "the failed node is not ranked";
    // One seed is a known node: it is asked once, in its ranked place.
    auto asked = r.choice.ask_order(&r.topology, {r.at(2), endpoint("seed", 7000)}, credentials(), nullptr, kStart);
    EXPECT_EQ(ports(asked), (std::vector<std::uint16_t>{r.order[0], r.order[1], r.order[2], 7000}));
    EXPECT_EQ(asked.back().host, "seed");
}

TEST(ClusterNodeChoice, AnotherInstanceAsksInItsOwnOrder) {
    // A fleet must not ask one node: the first node asked follows the instance's own ranking.
    auto topology = cluster();
    std::vector<std::uint16_t> firsts;
    for (const char* id : {"instance-1", "instance-2", "instance-3", "instance-4", "instance-5", "instance-6"}) {
        ClusterNodeChoice choice(id);
        auto asked = choice.ask_order(&topology, {}, credentials(), nullptr, kStart);
        ASSERT_FALSE(asked.empty());
        EXPECT_EQ(asked.front().port, ranked_ports(topology, choice).front()) << id;
        firsts.push_back(asked.front().port);
    }
    EXPECT_NE(std::count(firsts.begin(), firsts.end(), firsts.front()), static_cast<std::ptrdiff_t>(firsts.size()))
        << "six instances all asked the same node first";
}

TEST(ClusterNodeChoice, NodesAreAskedWithTheConfiguredCredentialsOverTcp) {
    Ranked r;
    auto base = credentials();
    base.unix_socket = true;
    for (const auto& ep : r.choice.ask_order(&r.topology, {endpoint("seed", 7000)}, base, nullptr, kStart)) {
        EXPECT_FALSE(ep.unix_socket) << ep.port;
        EXPECT_EQ(ep.password, "secret") << ep.port;
    }
}

TEST(ClusterNodeChoice, ARefreshAsksTheNodeItIsAboutLast) {
    Ranked r;
    const auto current = r.at(0);
    auto asked = r.choice.ask_order(&r.topology, {}, credentials(), &current, kStart);
    EXPECT_EQ(ports(asked), (std::vector<std::uint16_t>{r.order[1], r.order[2], r.order[0]}));
}

TEST(ClusterNodeChoice, AFailedNodeIsAskedLastForThirtySeconds) {
    Ranked r;
    r.choice.failed(r.at(0), kStart);
    const std::vector<std::uint16_t> failed_last{r.order[1], r.order[2], r.order[0]};
    EXPECT_EQ(ports(r.choice.ask_order(&r.topology, {}, credentials(), nullptr, kStart)), failed_last);
    EXPECT_EQ(ports(r.choice.ask_order(&r.topology, {}, credentials(), nullptr, kStart + 29999ms)), failed_last)
        << "asked first again before 30 s had passed";
    EXPECT_EQ(ports(r.choice.ask_order(&r.topology, {}, credentials(), nullptr, kStart + 30s)), r.order)
        << "still asked last once 30 s had passed";
}

TEST(ClusterNodeChoice, AFailedSeedIsAskedLast) {
    ClusterNodeChoice choice("instance-1");
    choice.failed(endpoint("seed-1", 7000), kStart);
    auto asked = choice.ask_order(nullptr, {endpoint("seed-1", 7000), endpoint("seed-2", 7000)}, credentials(),
                                  nullptr, kStart + 1s);
    ASSERT_EQ(asked.size(), 2u);
    EXPECT_EQ(asked[0].host, "seed-2");
    EXPECT_EQ(asked[1].host, "seed-1");
}

TEST(ClusterNodeChoice, ChoosesThisInstancesFirstRankedNode) {
    Ranked r;
    auto chosen = r.choice.choose(r.topology, kStart);
    ASSERT_NE(chosen.node, nullptr);
    EXPECT_EQ(chosen.node->port, r.order[0]);
    EXPECT_EQ(chosen.rank, 0u);
    EXPECT_EQ(chosen.healthy, 3u);
}

TEST(ClusterNodeChoice, PassesOverANodeThatFailedUntilThirtySecondsHavePassed) {
    Ranked r;
    r.choice.failed(r.at(0), kStart);
    auto during = r.choice.choose(r.topology, kStart + 29999ms);
    ASSERT_NE(during.node, nullptr);
    EXPECT_EQ(during.node->port, r.order[1]) << "a node that failed 29.999 s ago was chosen again";
    EXPECT_EQ(during.rank, 1u);
    auto after = r.choice.choose(r.topology, kStart + 30s);
    ASSERT_NE(after.node, nullptr);
    EXPECT_EQ(after.node->port, r.order[0]) << "the first choice was still passed over after exactly 30 s";
    EXPECT_EQ(after.rank, 0u);
}

TEST(ClusterNodeChoice, AvoidedForThirtySecondsFromTheLatestFailure) {
    Ranked r;
    r.choice.failed(r.at(0), kStart);
    r.choice.failed(r.at(0), kStart + 20s);
    EXPECT_TRUE(r.choice.avoided("10.0.0.1", r.order[0], kStart + 49999ms));
    EXPECT_FALSE(r.choice.avoided("10.0.0.1", r.order[0], kStart + 50s));
}

TEST(ClusterNodeChoice, OnlyTheNodeThatFailedIsAvoided) {
    Ranked r;
    r.choice.failed(r.at(0), kStart);
    EXPECT_TRUE(r.choice.avoided("10.0.0.1", r.order[0], kStart));
    EXPECT_FALSE(r.choice.avoided("10.0.0.1", r.order[1], kStart)) << "same host, another port";
    EXPECT_FALSE(r.choice.avoided("10.0.0.2", r.order[0], kStart)) << "same port, another host";
}

TEST(ClusterNodeChoice, ChoosesTheNextNodeWhenTheFirstTwoFailed) {
    Ranked r;
    r.choice.failed(r.at(0), kStart);
    r.choice.failed(r.at(1), kStart + 1s);
    auto chosen = r.choice.choose(r.topology, kStart + 2s);
    ASSERT_NE(chosen.node, nullptr);
    EXPECT_EQ(chosen.node->port, r.order[2]);
    EXPECT_EQ(chosen.rank, 2u);
}

TEST(ClusterNodeChoice, TakesTheFirstChoiceWhenEveryNodeFailedLately) {
    Ranked r;
    for (std::size_t i = 0; i < r.order.size(); ++i) r.choice.failed(r.at(i), kStart);
    auto chosen = r.choice.choose(r.topology, kStart + 1s);
    ASSERT_NE(chosen.node, nullptr);
    EXPECT_EQ(chosen.node->port, r.order[0]);
    EXPECT_EQ(chosen.rank, 0u);
}

TEST(ClusterNodeChoice, ChoosesNoNodeWhenNoneIsHealthy) {
    ClusterNodeChoice choice("instance-1");
    ClusterTopology topology{{node('a', 7001, false), node('b', 7002, false)}};
    auto chosen = choice.choose(topology, kStart);
    EXPECT_EQ(chosen.node, nullptr);
    EXPECT_EQ(chosen.healthy, 0u);
}

TEST(ClusterNodeChoice, ARefreshKeepsTheCurrentNodeWhileItIsHealthyEvenIfNotTheFirstChoice) {
    Ranked r;
    // Subscribed to the second choice (the first had failed); the first is healthy again.
    EXPECT_EQ(node_standing(r.topology, "10.0.0.1", r.order[1]), NodeStanding::healthy);
}

TEST(ClusterNodeChoice, ARefreshLeavesANodeTheClusterFlagsOrNoLongerLists) {
    auto topology = cluster();
    EXPECT_EQ(node_standing(topology, "10.0.0.1", 7004), NodeStanding::not_healthy);
    EXPECT_EQ(node_standing(topology, "10.0.0.1", 7005), NodeStanding::not_a_member);
    EXPECT_EQ(node_standing(topology, "10.0.0.2", 7001), NodeStanding::not_a_member);
}
