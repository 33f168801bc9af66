#pragma once
// Wires the parts together: one shard per I/O thread, the listener, the Redis subscriber, the
// validator between Redis and the shards, the JWKS fetcher, and signal handling (SIGTERM/SIGINT
// drain, SIGHUP reload of the certificate and the token-verifying secrets and keys).
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "net/message_intake.hpp"
#include "net/gateway_context.hpp"
#include "net/shard.hpp"
#include "wsgw/config.hpp"

namespace wsgw {

class ControlChannel;
class JwksFetcher;
class Listener;
class RedisSubscriber;
class ShardedSubscriptions;

class Gateway {
public:
    // Throws when the listen address cannot be bound or the TLS files cannot be loaded.
    explicit Gateway(const Config& config);
    ~Gateway();

    // Runs until a shutdown signal has been handled and every thread has finished.
    void run();

private:
    void on_redis_message(std::string_view channel, std::string_view payload);
    void on_redis_state(bool subscribed);
    // Sharded mode: the shard-channel subscriptions, fed into the same intake and batches.
    void set_up_sharded();
    void hand_off_batch();
    void wait_for_signal();
    void wait_for_hangup();
    void begin_shutdown(const char* cause);
    void close_sessions();
    void await_sessions_closed();
    void stop_all();
    // Token-verifying material: the initial AuthState and, with jwt_jwks_url, the key fetcher.
    void set_up_auth();
    // SIGHUP: the secret and public key files read again (the old material kept when they do
    // not load), and a key set fetch.
    void reload_auth();

    Config config_;
    GatewayContext ctx_;
    MessageIntake intake_;
    SharedResumeWindow resume_;  // before the shards, which hold it
    std::vector<std::unique_ptr<Shard>> shards_;
    std::shared_ptr<Listener> listener_;
    std::shared_ptr<Listener> internal_listener_;  // null without internal_listen
    std::unique_ptr<RedisSubscriber> subscriber_;
    std::unique_ptr<ShardedSubscriptions> sharded_;  // sharded mode only
    std::unique_ptr<ControlChannel> control_;  // null without a control channel
    boost::asio::signal_set signals_;
    boost::asio::signal_set hangup_;
    boost::asio::steady_timer shutdown_timer_;
    std::chrono::steady_clock::time_point shutdown_deadline_;
    // Messages taken in during the subscriber's current read, handed to every shard together
    // once it ends (subscriber thread only).
    std::vector<std::shared_ptr<const Delivery>> batch_;
    bool shutting_down_ = false;
    std::unique_ptr<JwksFetcher> jwks_;  // null without jwt_jwks_url
};

}  // namespace wsgw
