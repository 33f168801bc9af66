#include "wsgw/cluster_topology.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace wsgw;

namespace {

// A 3-primary, 3-replica cluster as redis-server 7 prints it, one primary's replica failed.
constexpr std::string_view kNodes =
    "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460\n"
    "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@40002 master - 0 1426238316232 2 connected 5461-10922\n"
    "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@40003,node-3.example master - 0 1426238318243 3 connected 10923-16383\n"
    "6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30004@40004 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238316232 1 connected\n"
    "824fe116063bc5fcf9f4ffd895bc17aee7731ac3 127.0.0.1:30005@40005 slave,fail 67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 0 1426238317741 2 disconnected\n"
    "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30006@40006 slave 292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 0 1426238317239 3 connected\n";

ClusterTopology parsed(std::string_view text = kNodes) {
    std::string error;
    auto t = parse_cluster_nodes(text, error);
    EXPECT_TRUE(t) << error;
    return t.value_or(ClusterTopology{});
}

}  // namespace

TEST(ClusterTopology, ParsesNodesRolesHealthAndSlots) {
    auto t = parsed();
    ASSERT_EQ(t.nodes.size(), 6u);
    EXPECT_EQ(t.healthy_nodes(), 5u);
    const auto& first = t.nodes[0];
    EXPECT_EQ(first.host, "127.0.0.1");
    EXPECT_EQ(first.port, 30001);
    EXPECT_TRUE(first.primary);
    EXPECT_TRUE(first.healthy);
    ASSERT_EQ(first.slots.size(), 1u);
    EXPECT_EQ(first.slots[0], (std::pair<std::uint16_t, std::uint16_t>{0, 5460}));
    EXPECT_EQ(t.nodes[2].port, 30003);  // ",hostname" after the bus port is ignored
    EXPECT_FALSE(t.nodes[3].primary);
    EXPECT_EQ(t.nodes[3].primary_id, first.id);
    EXPECT_FALSE(t.nodes[4].healthy);  // flagged fail and disconnected
    EXPECT_EQ(t.nodes[1].address(), "127.0.0.1:30002");
}

TEST(ClusterTopology, SuspectedHandshakeAndAddresslessNodesAreNotHealthy) {
    auto t = parsed(
        "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@40001 master,fail? - 0 0 1 connected 0-16383\n"
        "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@40002 handshake - 0 0 0 connected\n"
        "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f :0@0 master,noaddr - 0 0 3 connected\n");
    EXPECT_EQ(t.healthy_nodes(), 0u);
    EXPECT_EQ(t.slot_owner(5), nullptr);
    EXPECT_TRUE(rank_nodes(t, "any").empty());
}

TEST(ClusterTopology, ParsesIpv6AndSingleSlotsAndSkipsMigratingSlots) {
    auto t = parsed(
        "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca ::1:7000@17000 myself,master - 0 0 1 connected 0-99 100 "
        "[101->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1] 102-16383\n");
    ASSERT_EQ(t.nodes.size(), 1u);
    EXPECT_EQ(t.nodes[0].host, "::1");
    EXPECT_EQ(t.nodes[0].port, 7000);
    EXPECT_EQ(t.nodes[0].address(), "[::1]:7000");
    EXPECT_EQ(t.nodes[0].slots.size(), 3u);
    EXPECT_EQ(t.slot_owner(100), &t.nodes[0]);
}

TEST(ClusterTopology, RejectsWhatIsNotAClusterNodesReply) {
    std::string error;
    EXPECT_FALSE(parse_cluster_nodes("", error));
    EXPECT_FALSE(parse_cluster_nodes("ERR This instance has cluster support disabled", error));
    EXPECT_FALSE(parse_cluster_nodes("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@40001 master - 0 0 1 "
                                     "connected 0-99999\n",
                                     error));
    EXPECT_NE(error.find("slot"), std::string::npos);
    // A truncated reply is an error, not a smaller cluster.
    std::string cut(kNodes.substr(0, kNodes.size() - 60));
    EXPECT_FALSE(parse_cluster_nodes(cut, error));
}

TEST(ClusterTopology, SlotOwnerIsTheHealthyPrimaryOfTheSlot) {
    auto t = parsed();
    EXPECT_EQ(t.slot_owner(0)->port, 30001);
    EXPECT_EQ(t.slot_owner(5461)->port, 30002);
    EXPECT_EQ(t.slot_owner(16383)->port, 30003);
    EXPECT_EQ(t.find("127.0.0.1", 30004), &t.nodes[3]);
    EXPECT_EQ(t.find("127.0.0.1", 1), nullptr);
}

TEST(ClusterTopology, KeySlotIsCrc16XmodemAndHonoursHashTags) {
    EXPECT_EQ(key_slot("123456789"), 0x31C3);  // the CRC16/XMODEM check value
    EXPECT_EQ(key_slot("foo"), 12182);         // CLUSTER KEYSLOT foo
    EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
    EXPECT_NE(key_slot("foo{}{bar}"), key_slot("bar"));  // an empty tag hashes the whole key
    EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
    EXPECT_LT(key_slot("wsgw:revoked"), 16384);
}

TEST(ClusterTopology, RankingIsStableSkipsUnhealthyNodesAndSpreadsInstances) {
    auto t = parsed();
    auto a = rank_nodes(t, "instance-a");
    ASSERT_EQ(a.size(), 5u);
    EXPECT_EQ(a, rank_nodes(t, "instance-a"));
    for (auto* n : a) EXPECT_TRUE(n->healthy);
    // The same instance keeps its choice when the cluster lists its nodes in another order.
    auto reversed = t;
    std::reverse(reversed.nodes.begin(), reversed.nodes.end());
    EXPECT_EQ(rank_nodes(reversed, "instance-a").front()->id, a.front()->id);
    // Over many instances every healthy node is someone's first choice, roughly evenly.
    std::map<std::string, int> first;
    for (int i = 0; i < 5000; ++i) ++first[rank_nodes(t, "gw-" + std::to_string(i)).front()->id];
    ASSERT_EQ(first.size(), 5u);
    for (const auto& [id, n] : first) {
        EXPECT_GT(n, 800) << id;
        EXPECT_LT(n, 1200) << id;
    }
}

TEST(ClusterTopology, ALeavingNodeMovesOnlyTheInstancesThatWereOnIt) {
    auto t = parsed();
    auto without = t;
    without.nodes[1].healthy = false;
    int moved = 0, on_it = 0;
    for (int i = 0; i < 2000; ++i) {
        auto id = "gw-" + std::to_string(i);
        auto before = rank_nodes(t, id).front()->id;
        auto after = rank_nodes(without, id).front()->id;
        if (before == t.nodes[1].id) {
            ++on_it;
            // The instances that were on it go to their second choice.
            EXPECT_EQ(after, rank_nodes(t, id)[1]->id);
        } else if (before != after) {
            ++moved;
        }
    }
    EXPECT_GT(on_it, 0);
    EXPECT_EQ(moved, 0);
}

TEST(ClusterTopology, ParsesRedirects) {
    EXPECT_EQ(parse_redirect("MOVED 3999 127.0.0.1:6381"), (std::pair<std::string, std::uint16_t>{"127.0.0.1", 6381}));
    EXPECT_EQ(parse_redirect("ASK 3999 ::1:7001"), (std::pair<std::string, std::uint16_t>{"::1", 7001}));
    EXPECT_EQ(parse_redirect("MOVED 3999 :6381")->first, "");  // same host as the connection
    EXPECT_FALSE(parse_redirect("CLUSTERDOWN The cluster is down"));
    EXPECT_FALSE(parse_redirect("MOVED 3999"));
}

TEST(ClusterTopology, AssigningASlotSplitsTheOldOwnersRangeAndPromotesTheNewOwner) {
    auto t = parsed();
    ASSERT_TRUE(t.assign_slot(100, "127.0.0.1", 30004));  // the replica of 0-5460 took slot 100
    EXPECT_EQ(t.slot_owner(100)->port, 30004);
    EXPECT_TRUE(t.nodes[3].primary);
    EXPECT_EQ(t.nodes[0].slots, (std::vector<std::pair<std::uint16_t, std::uint16_t>>{{0, 99}, {101, 5460}}));
    EXPECT_EQ(t.slot_owner(99)->port, 30001);
    EXPECT_EQ(t.slot_owner(101)->port, 30001);
    ASSERT_TRUE(t.assign_slot(0, "127.0.0.1", 30002));  // a range's first slot
    EXPECT_EQ(t.nodes[0].slots.front(), (std::pair<std::uint16_t, std::uint16_t>{1, 99}));
    EXPECT_FALSE(t.assign_slot(5, "127.0.0.1", 1)) << "an unknown node";
    EXPECT_EQ(t.slot_owner(5)->port, 30001);
}

TEST(ClusterTopology, AMovedIsKeptUntilATopologyAgreesOrDropsItsNode) {
    const SlotMove move{7000, "127.0.0.1", 30003};
    auto stale = parsed();  // still lists 30002 for slot 7000
    EXPECT_TRUE(reconcile(stale, move));
    EXPECT_EQ(stale.slot_owner(7000)->port, 30003);
    EXPECT_EQ(stale.slot_owner(7001)->port, 30002);

    auto agreeing = parsed();
    ASSERT_TRUE(agreeing.assign_slot(7000, "127.0.0.1", 30003));
    EXPECT_FALSE(reconcile(agreeing, move)) << "the topology caught up: nothing left to remember";

    EXPECT_FALSE(reconcile(stale = parsed(), SlotMove{7000, "127.0.0.1", 30005})) << "named node failed";
    EXPECT_EQ(stale.slot_owner(7000)->port, 30002);
    EXPECT_FALSE(reconcile(stale, SlotMove{7000, "127.0.0.1", 1})) << "named node unknown";
}
