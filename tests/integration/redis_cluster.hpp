#pragma once
// A real Redis Cluster on loopback: three primaries and three replicas (redis-server with
// --cluster-enabled yes, joined by redis-cli --cluster create), for one test.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "redis_server.hpp"
#include "test_support.hpp"
#include "wsgw/cluster_topology.hpp"

namespace wsgw::test {

class RedisCluster {
public:
    // Starts the six nodes, creates the cluster and waits until every node sees it whole.
    RedisCluster();

    std::size_t size() const { return nodes_.size(); }
    RedisServer& node(std::size_t i) { return *nodes_[i]; }
    // The node listening on `port` (throws when none does).
    RedisServer& node_on(std::uint16_t port);
    // "127.0.0.1:p1,127.0.0.1:p2,..." for the nodes [first, first + count).
    std::string seeds(std::size_t first = 0, std::size_t count = 6) const;
    // The topology as a running node reports it.
    ClusterTopology topology() const;
    // Every running node reports cluster_state:ok, every node healthy and three replicas, each
    // replica in sync.
    bool whole() const;
    // Starts one more node, without slots or replicas, introduces it (CLUSTER MEET) and waits
    // until every node counts it healthy.
    RedisServer& add_node();

private:
    RedisServer& start_node(std::uint16_t bus_port);

    TempDir dir_;
    std::vector<std::unique_ptr<RedisServer>> nodes_;
};

// An instance id whose first choice in `topology` is the node on `port` (tried: prefix-0, -1...).
std::string instance_id_choosing(const ClusterTopology& topology, std::uint16_t port, const std::string& prefix = "gw");

// A gateway's settings for a test cluster: its seeds, this instance's id, and short refresh,
// reconnect and probe intervals so faults are noticed within a test's patience.
std::map<std::string, std::string> cluster_env(const std::string& seeds, const std::string& instance_id);

}  // namespace wsgw::test
