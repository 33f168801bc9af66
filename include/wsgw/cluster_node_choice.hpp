#pragma once
// Which Redis Cluster nodes this instance asks for the topology, in what order, and which one it
// subscribes to; the clock is injected, so the time a failed node is passed over is testable.
//
// A node that failed this instance (its subscription was lost, or never stood) is passed over
// for kAvoidFailedNode: a node that is failing would otherwise be the first choice again at
// once, since the ranking (rendezvous hashing, wsgw/cluster_topology.hpp) does not change. When
// every healthy node has failed lately, the first choice is taken all the same.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wsgw/cluster_topology.hpp"
#include "wsgw/endpoints.hpp"

namespace wsgw {

class ClusterNodeChoice {
public:
    using Clock = std::chrono::steady_clock;
    // How long a node that failed this instance is passed over.
    static constexpr std::chrono::seconds kAvoidFailedNode{30};

    explicit ClusterNodeChoice(std::string instance_id) : instance_id_(std::move(instance_id)) {}

    const std::string& instance_id() const noexcept { return instance_id_; }

    // The node at `node`'s host:port failed this instance at `now`: passed over until
    // now + kAvoidFailedNode (not at that instant itself).
    void failed(const RedisEndpoint& node, Clock::time_point now);
    bool avoided(std::string_view host, std::uint16_t port, Clock::time_point now) const;

    // The nodes to ask for the topology, in order, each once, reached with `base`'s credentials:
    // the nodes of `known` (if any) in this instance's own ranking, so that a fleet does not ask
    // one node, then the seeds; the node a refresh is about (`refreshing`, if any) and nodes that
    // failed lately come last.
    std::vector<RedisEndpoint> ask_order(const ClusterTopology* known, const std::vector<RedisEndpoint>& seeds,
                                         const RedisEndpoint& base, const RedisEndpoint* refreshing,
                                         Clock::time_point now) const;

    struct Choice {
        const ClusterNode* node = nullptr;  // null: the topology lists no healthy node
        std::size_t rank = 0;               // 0: this instance's first choice
        std::size_t healthy = 0;            // how many nodes were ranked
    };
    // The node to subscribe to: the best ranked healthy node that has not failed lately, or the
    // first choice when all have.
    Choice choose(const ClusterTopology& topology, Clock::time_point now) const;

private:
    struct Avoided {
        std::string host;
        std::uint16_t port = 0;
        Clock::time_point until;
    };

    std::string instance_id_;
    std::vector<Avoided> avoid_;
};

// Where the node subscribed to stands in a topology read since. A refresh keeps the subscription
// on a healthy node even when it is no longer this instance's first choice (moving would move
// subscribers for nothing); it leaves a node the cluster flags or no longer lists.
enum class NodeStanding { healthy, not_healthy, not_a_member };
NodeStanding node_standing(const ClusterTopology& topology, std::string_view host, std::uint16_t port);

}  // namespace wsgw
