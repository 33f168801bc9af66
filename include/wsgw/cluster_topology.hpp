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
};

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
