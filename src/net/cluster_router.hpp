#pragma once
// Redis Cluster, for the subscriber: the topology is read (CLUSTER NODES) from the known nodes and
// the seeds before every connect and every `refresh` while a subscription stands; the node to
// subscribe to is chosen as wsgw/cluster_node_choice.hpp says (Pub/Sub is cluster-wide, so one
// node is enough), and a node the cluster no longer counts as healthy is reported as left.
// Keyed commands go to the primary that holds their key, following one MOVED/ASK redirect.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/redis_client.hpp"
#include "net/redis_node_events.hpp"
#include "wsgw/cluster_node_choice.hpp"
#include "wsgw/cluster_topology.hpp"
#include "wsgw/endpoints.hpp"
#include "wsgw/metrics.hpp"

namespace wsgw {

class ClusterRouter {
public:
    struct Options {
        RedisEndpoint endpoint;  // the credentials and db every node is reached with
        std::vector<RedisEndpoint> seeds;
        std::chrono::milliseconds connect_timeout{3000};
        std::chrono::milliseconds refresh{5000};
        std::string instance_id;  // ranks the cluster's nodes for this instance
    };

    // Reports the node to subscribe to (found), that no node answered or none is healthy
    // (not_found), and that the node subscribed to left the cluster's healthy members (moved).
    ClusterRouter(boost::asio::any_io_executor executor, Options options, Metrics& metrics, RedisNodeEvents events);

    // All must be called on the executor's thread.
    void stop();
    // Reads the topology and reports the node to subscribe to, or that there is none.
    void find_node();
    // The subscription on the node last reported stands (the topology is refreshed while it
    // does), or was lost (that node is passed over for a while).
    void subscription_up();
    void subscription_lost();
    // Drops the connection for keyed commands: the next one goes where the next topology says.
    void reset_commands();
    // Sends a command to the primary that holds the key args[1] (the node last reported when the
    // topology names none), following one MOVED/ASK redirect; no reply within the connect timeout
    // counts as a lost connection. `handler` gets the reply, or null.
    void command(std::vector<std::string> args, RedisClient::ReplyHandler handler);
    // The topology last read (null before the first read), and a hook called after every read.
    const ClusterTopology* topology() const noexcept { return topology_ ? &*topology_ : nullptr; }
    void on_topology_read(std::function<void()> hook) { topology_hook_ = std::move(hook); }
    // The primary serving `slot` in the topology last read, reached with the configured credentials.
    std::optional<RedisEndpoint> primary_for(std::uint16_t slot) const;
    std::vector<RedisEndpoint> primaries() const;

private:
    // With `refresh`, the subscription stays where it is unless its node is no longer a healthy
    // member.
    void discover(bool refresh);
    void query_topology(std::size_t index, bool refresh, std::uint64_t generation);
    void on_topology(ClusterTopology topology, bool refresh);
    void choose_node();
    // The next topology refresh, after `after` (a MOVED reply asks for one at once).
    void arm_refresh(std::chrono::milliseconds after);
    // A MOVED: the key's slot is served elsewhere. Applied to the topology at once (and kept
    // against refreshes that have not heard of it yet); the topology is read again.
    void on_moved(std::uint16_t slot, const RedisEndpoint& to);
    void keyed_command(std::vector<std::string> args, RedisClient::ReplyHandler handler,
                       std::optional<RedisEndpoint> target, bool asking);

    boost::asio::any_io_executor executor_;
    Options options_;
    Metrics& metrics_;
    RedisNodeEvents events_;
    ClusterNodeChoice choice_;
    RedisClient query_;  // one question at a time to a cluster node
    // One connection per primary that keyed commands went to: commands for keys on different
    // primaries (stream reads of users spread over the cluster) run side by side, and none is
    // cut short by a connection moving to another primary.
    struct Keyed {
        std::unique_ptr<RedisClient> client;
        std::uint64_t generation = 0;
    };
    std::map<std::string, Keyed> keyed_;  // by endpoint text
    boost::asio::steady_timer refresh_timer_;
    std::optional<ClusterTopology> topology_;
    std::optional<SlotMove> moved_;  // the last MOVED, until a topology read agrees with it
    std::vector<RedisEndpoint> discovery_;  // the nodes the current topology read asks, in order
    std::uint64_t discovery_generation_ = 0;
    RedisEndpoint current_;  // the node last reported
    bool subscribed_ = false;
    std::function<void()> topology_hook_;
};

}  // namespace wsgw
