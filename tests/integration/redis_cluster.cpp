#include "redis_cluster.hpp"

#include <stdexcept>

#include "process_util.hpp"

namespace wsgw::test {

using namespace std::chrono_literals;

RedisCluster::RedisCluster() {
    for (int i = 0; i < 6; ++i) start_node(free_port());
    std::string create = "redis-cli --cluster create";
    for (const auto& n : nodes_) create += " 127.0.0.1:" + std::to_string(n->port());
    create += " --cluster-replicas 1 --cluster-yes >" + dir_.file("create.log") + " 2>&1";
    if (run_shell(create) != 0) throw std::runtime_error("redis-cli --cluster create failed: " + read_file(dir_.file("create.log")));
    if (!eventually([&] { return whole(); }, 30s)) throw std::runtime_error("the cluster never became whole");
}

// The bus port is named: port + 10000 may be taken, or past 65535.
RedisServer& RedisCluster::start_node(std::uint16_t bus_port) {
    auto port = free_port();
    auto config = dir_.file("nodes-" + std::to_string(port) + ".conf");
    nodes_.push_back(std::make_unique<RedisServer>(
        port, "--cluster-enabled yes --cluster-node-timeout 1000 --cluster-port " + std::to_string(bus_port) +
                  " --cluster-config-file " + config + " --dir " + dir_.path()));
    return *nodes_.back();
}

RedisServer& RedisCluster::add_node() {
    const auto bus_port = free_port();
    auto& added = start_node(bus_port);
    if (nodes_.front()->command("CLUSTER MEET 127.0.0.1 " + std::to_string(added.port()) + " " +
                                std::to_string(bus_port)) != "OK")
        throw std::runtime_error("CLUSTER MEET was refused");
    if (!eventually([&] { return whole(); }, 30s)) throw std::runtime_error("the added node never joined");
    return added;
}

RedisServer& RedisCluster::node_on(std::uint16_t port) {
    for (auto& n : nodes_)
        if (n->port() == port) return *n;
    throw std::runtime_error("no cluster node on port " + std::to_string(port));
}

std::string RedisCluster::seeds(std::size_t first, std::size_t count) const {
    std::string out;
    for (std::size_t i = first; i < nodes_.size() && i < first + count; ++i)
        out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(nodes_[i]->port());
    return out;
}

ClusterTopology RedisCluster::topology() const {
    for (const auto& n : nodes_) {
        if (!n->running()) continue;
        std::string error;
        if (auto t = parse_cluster_nodes(n->command("CLUSTER NODES"), error)) return *t;
    }
    throw std::runtime_error("no node reports the topology");
}

bool RedisCluster::whole() const {
    for (const auto& n : nodes_) {
        if (!n->running()) continue;
        if (n->command("CLUSTER INFO").find("cluster_state:ok") == std::string::npos) return false;
        std::string error;
        auto t = parse_cluster_nodes(n->command("CLUSTER NODES"), error);
        if (!t || t->healthy_nodes() != nodes_.size()) return false;
        int replicas = 0;
        for (const auto& node : t->nodes) replicas += node.primary ? 0 : 1;
        if (replicas != 3) return false;
        // A replica that has not synced yet cannot be promoted when its primary fails.
        auto replication = n->command("INFO replication");
        if (replication.find("role:slave") != std::string::npos &&
            replication.find("master_link_status:up") == std::string::npos)
            return false;
    }
    return true;
}

std::string instance_id_choosing(const ClusterTopology& topology, std::uint16_t port, const std::string& prefix) {
    for (int i = 0; i < 10'000; ++i) {
        auto id = prefix + "-" + std::to_string(i);
        auto ranked = rank_nodes(topology, id);
        if (!ranked.empty() && ranked.front()->port == port) return id;
    }
    throw std::runtime_error("no instance id chooses port " + std::to_string(port));
}

std::map<std::string, std::string> cluster_env(const std::string& seeds, const std::string& instance_id) {
    return {{"WSGW_REDIS_CLUSTER_NODES", seeds},
            {"WSGW_INSTANCE_ID", instance_id},
            {"WSGW_REDIS_CLUSTER_REFRESH_MS", "500"},
            {"WSGW_REDIS_RECONNECT_MIN_MS", "50"},
            {"WSGW_REDIS_RECONNECT_MAX_MS", "500"},
            {"WSGW_REDIS_CONNECT_TIMEOUT_MS", "1000"},
            {"WSGW_REDIS_PROBE_INTERVAL_MS", "300"},
            {"WSGW_REDIS_PROBE_TIMEOUT_MS", "500"}};
}

}  // namespace wsgw::test
