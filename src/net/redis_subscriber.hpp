#pragma once
// The Redis side, on the gateway's first I/O thread:
// - a subscriber connection (PSUBSCRIBE user_noti:* project:*:*) that reconnects with
//   exponential backoff and jitter on any loss and reports ready only once both patterns are
//   confirmed;
// - a liveness probe: a second, ordinary connection publishes on a channel the subscription
//   matches but no user can own; a probe not received in time counts as a lost subscription
//   (a stalled server, a half-open connection, a proxy that lost state);
// - optionally Redis Sentinel: the master is asked of the sentinels before every connect, and a
//   +switch-master notice for our master drops the connection so that it is resolved again;
// - optionally a control channel (SUBSCRIBE on the same connection), whose messages go to their
//   own handler; ready then also waits for its confirmation.
// - or Redis Cluster: the topology is read (CLUSTER NODES) from the known nodes and the seeds
//   before every connect and every cluster_refresh; the instance subscribes to one healthy node,
//   its first choice by rendezvous hashing of the instance id (Pub/Sub is cluster-wide), avoids
//   for a while a node that failed it, and leaves a node the cluster no longer counts as healthy.
// The ordinary connection also serves other parts' commands (command()): on the node subscribed
// to, or in a cluster on the primary that holds the command's key.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "net/redis_client.hpp"
#include "wsgw/cluster_topology.hpp"
#include "wsgw/config.hpp"
#include "wsgw/metrics.hpp"

namespace wsgw {

class RedisSubscriber {
public:
    struct Options {
        RedisEndpoint endpoint;                // used when `sentinels` is empty
        std::vector<RedisEndpoint> sentinels;  // host/port (and password) of each sentinel
        std::string master_name;
        std::chrono::milliseconds connect_timeout{3000};
        std::chrono::milliseconds reconnect_min{100};
        std::chrono::milliseconds reconnect_max{5000};
        std::chrono::milliseconds probe_interval{5000};  // 0: no probe
        std::chrono::milliseconds probe_timeout{3000};
        std::string control_channel;  // empty: none
        std::vector<RedisEndpoint> cluster_seeds;  // non-empty: Redis Cluster (credentials from `endpoint`)
        std::chrono::milliseconds cluster_refresh{5000};
        std::string instance_id;  // ranks the cluster's nodes for this instance
    };
    // How long a cluster node that failed this instance is passed over when choosing a node.
    static constexpr std::chrono::seconds kAvoidFailedNode{30};
    using OnMessage = std::function<void(std::string_view channel, std::string_view payload)>;
    using OnControl = std::function<void(std::string_view payload)>;
    using OnState = std::function<void(bool subscribed)>;

    RedisSubscriber(boost::asio::any_io_executor executor, Options options, Metrics& metrics, OnMessage on_message,
                    OnControl on_control, OnState on_state);
    ~RedisSubscriber();

    // All must be called on the executor's thread.
    void start();
    void stop();
    // Sends a command on the ordinary connection to the node currently subscribed to (connecting
    // it if need be); in a cluster, to the primary that holds the key args[1] (following one
    // MOVED/ASK redirect; no reply within the connect timeout counts as a lost connection).
    // `handler` gets the reply, or null when the connection is lost or cannot be made. Handlers
    // run inside hiredis: they may send commands, nothing more.
    void command(const std::vector<std::string>& args, RedisClient::ReplyHandler handler);

private:
    void connect();
    bool cluster() const { return !options_.cluster_seeds.empty(); }
    // Reads the cluster's topology from the known nodes, then the seeds. With `refresh`, the
    // subscription stays where it is unless its node is no longer a healthy member.
    void discover(bool refresh);
    void query_topology(std::size_t index, bool refresh, std::uint64_t generation);
    void on_topology(ClusterTopology topology, bool refresh);
    void choose_node();
    bool avoided(const std::string& address, std::chrono::steady_clock::time_point now) const;
    // The next topology refresh, after `after` (a MOVED reply asks for one at once).
    void arm_refresh(std::chrono::milliseconds after);
    // A MOVED: the key's slot is served elsewhere. Applied to the topology at once (and kept
    // against refreshes that have not heard of it yet); the topology is read again.
    void on_moved(std::uint16_t slot, const RedisEndpoint& to);
    void keyed_command(std::vector<std::string> args, RedisClient::ReplyHandler handler,
                       std::optional<RedisEndpoint> target, bool asking);
    // Asks the sentinels, from `index` on, where the master is. With `rewatch`, the subscription
    // stays where it is unless the master moved; only the +switch-master watch is set up again.
    void resolve_master(std::size_t index, bool rewatch = false);
    void on_sentinel_watch_lost(const std::string& cause);
    void schedule_rewatch();
    void connect_to(const RedisEndpoint& endpoint);
    void on_subscriber_lost(const std::string& cause);
    void schedule_reconnect();
    void set_subscribed(bool on);
    void on_pubsub(redisReply* reply);
    void watch_sentinel(const RedisEndpoint& sentinel);
    bool ensure_commands_connection();
    void arm_probe();
    void send_probe();
    void on_probe_received(std::string_view payload);

    boost::asio::any_io_executor executor_;
    Options options_;
    Metrics& metrics_;
    OnMessage on_message_;
    OnControl on_control_;
    OnState on_state_;
    RedisClient subscriber_;
    RedisClient commands_;  // the ordinary connection: liveness probes and command()
    RedisClient query_;  // one question at a time to a sentinel or a cluster node
    RedisClient keyed_;  // cluster: to the primary of the last command's key
    RedisEndpoint keyed_endpoint_;
    std::uint64_t keyed_generation_ = 0;
    RedisClient sentinel_watch_;
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer rewatch_timer_;
    unsigned watch_attempt_ = 0;
    boost::asio::steady_timer probe_timer_;
    boost::asio::steady_timer refresh_timer_;
    std::optional<ClusterTopology> topology_;
    std::optional<SlotMove> moved_;  // the last MOVED, until a topology read agrees with it
    std::vector<RedisEndpoint> discovery_;  // the nodes the current topology read asks, in order
    std::uint64_t discovery_generation_ = 0;
    std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> avoid_;  // address, until
    std::string last_node_;  // the node of the last subscription, for counting switches
    RedisEndpoint current_;
    std::string probe_channel_;
    std::uint64_t probe_seq_ = 0;
    bool probe_outstanding_ = false;
    std::chrono::steady_clock::time_point probe_sent_at_;
    unsigned attempt_ = 0;
    int subscriptions_confirmed_ = 0;
    bool subscribed_ = false;
    bool stopped_ = true;
    std::minstd_rand rng_;
};

}  // namespace wsgw
