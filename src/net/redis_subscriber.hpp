#pragma once
// The Redis side, on the gateway's first I/O thread:
// - a subscriber connection (PSUBSCRIBE user_noti:* project:*:*) that reconnects with
//   exponential backoff and jitter on any loss and reports ready only once both patterns are
//   confirmed;
// - a liveness probe: a second, ordinary connection publishes on a channel the subscription
//   matches but no user can own; a probe not received in time counts as a lost subscription
//   (a stalled server, a half-open connection, a proxy that lost state);
// - optionally a control channel (SUBSCRIBE on the same connection), whose messages go to their
//   own handler; ready then also waits for its confirmation.
// Where to connect is asked, before every connect, of net/sentinel_watch.hpp (Redis Sentinel:
// the master, and a watch that drops the subscription when it moves) or of
// net/cluster_router.hpp (Redis Cluster: one healthy node, refreshed topology), or is the
// configured endpoint.
// The ordinary connection also serves other parts' commands (command()): on the node subscribed
// to, or in a cluster on the primary that holds the command's key.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "net/cluster_router.hpp"
#include "net/redis_client.hpp"
#include "net/sentinel_watch.hpp"
#include "wsgw/endpoints.hpp"
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
        // false (sharded mode): no pattern subscription; the probe travels on a plain channel of
        // its own, and users' messages come through net/sharded_subscriptions.hpp.
        bool patterns = true;
    };
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
    // The node subscribed to, while subscribed; the cluster router with cluster seeds.
    std::optional<RedisEndpoint> node() const;
    ClusterRouter* cluster() const noexcept { return cluster_.get(); }

private:
    void connect();
    void connect_to(const RedisEndpoint& endpoint);
    void on_subscriber_lost(const std::string& cause);
    void schedule_reconnect();
    void set_subscribed(bool on);
    void on_pubsub(redisReply* reply);
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
    std::unique_ptr<SentinelWatch> sentinel_;  // with sentinels configured
    std::unique_ptr<ClusterRouter> cluster_;   // with cluster seeds configured
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer probe_timer_;
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
