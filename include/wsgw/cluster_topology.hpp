#pragma once
// Redis Cluster, as the subscriber needs it: which nodes there are (from CLUSTER NODES), which
// of them this instance subscribes to, and which primary holds a key.
//
// Plain (non-sharded) Pub/Sub is cluster-wide: a PUBLISH on any node reaches the subscribers of
// every node, replicas included. So each instance subscribes to exactly one node, and instances
// are spread over all healthy nodes by rendezvous hashing (highest random weight) of the
// instance id against each node id: every instance ranks the nodes on its own, the spread is
// even, and a node leaving moves only the instances that were on it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsgw {

struct ClusterNode {
    std::string id;    // 40-character node id
    std::string host;  // as the cluster announces it
    std::uint16_t port = 0;
    bool primary = false;
    std::string primary_id;  // a replica's primary; empty for primaries
    // Not flagged fail, fail? (suspected), handshake or noaddr, and its link is connected.
    bool healthy = false;
    std::vector<std::pair<std::uint16_t, std::uint16_t>> slots;  // inclusive ranges, primaries only

    std::string address() const;  // host:port ([v6]:port)
};

struct ClusterTopology {
    std::vector<ClusterNode> nodes;

    std::size_t healthy_nodes() const;
    // The healthy primary serving `slot`, if the topology knows one.
    const ClusterNode* slot_owner(std::uint16_t slot) const;
    const ClusterNode* find(std::string_view host, std::uint16_t port) const;
    // Makes the node at host:port the (primary) owner of `slot`, taking the slot from whichever
    // node held it. False, and nothing changed, when the topology does not list that node.
    bool assign_slot(std::uint16_t slot, std::string_view host, std::uint16_t port);
};

// What a MOVED reply said: `slot` is served by the node at host:port now.
struct SlotMove {
    std::uint16_t slot = 0;
    std::string host;
    std::uint16_t port = 0;
};

// Brings `topology` in line with a MOVED heard since an earlier read: the node a refresh asks
// may not have heard of a failover yet and still list the old owner. True while the move is
// worth remembering (it was applied); false once the topology agrees with it, or no longer lists
// the node it named as healthy (a later move or failure wins).
bool reconcile(ClusterTopology& topology, const SlotMove& move);

// Parses the text reply of CLUSTER NODES. Lines it cannot read make the whole reply an error
// (a truncated or foreign reply must not pass for a small cluster).
std::optional<ClusterTopology> parse_cluster_nodes(std::string_view text, std::string& error);

// The hash slot of a key: CRC16 (XMODEM) mod 16384, over the {hash tag} when there is one.
std::uint16_t key_slot(std::string_view key) noexcept;

// Healthy nodes, best first for `instance_id` (rendezvous hashing over node ids).
std::vector<const ClusterNode*> rank_nodes(const ClusterTopology& topology, std::string_view instance_id);

// "MOVED 3999 127.0.0.1:6381" / "ASK ..." -> host and port; nullopt for other errors.
std::optional<std::pair<std::string, std::uint16_t>> parse_redirect(std::string_view error);

}  // namespace wsgw
