#pragma once
// The control channel, on the subscriber's thread: commands the backend publishes to every
// instance (wsgw/control_command.hpp), acted on here, and the deny list of revoked tokens, kept
// in Redis as a sorted set (member: jti, score: unix time until which it is refused) so that an
// instance started later, or one that was cut off from Redis, knows it too.
//
// - disconnect: every socket of the user, on every I/O thread, closes with 4003.
// - revoke: the jti goes on the deny list (refused at the upgrade with 401 "revoked" until its
//   exp plus the JWT leeway), into the sorted set, and every socket holding that token closes
//   with 4003.
// - on every (re)subscription the sorted set is loaded, and sockets whose token it names close;
//   until the first load has succeeded, upgrades are refused (503) and /readyz is 503. A failed
//   load is retried with backoff while the subscription stands (in a cluster the set lives on
//   one primary, which may be failing over while the subscribed node is fine).
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "net/gateway_context.hpp"
#include "net/shard.hpp"
#include "wsgw/log_limiter.hpp"

namespace wsgw {

class RedisSubscriber;

class ControlChannel {
public:
    struct Options {
        std::string revocation_key;  // empty: the deny list lives in memory only
        std::chrono::seconds leeway{5};  // tokens are accepted until exp + leeway, so refused as long
        std::chrono::milliseconds retry_min{100};  // backoff of a failed load
        std::chrono::milliseconds retry_max{5000};
    };

    ControlChannel(std::vector<std::unique_ptr<Shard>>& shards, GatewayContext& ctx, RedisSubscriber& redis,
                   Options options);

    // A message on the control channel.
    void on_command(std::string_view payload);
    // The subscription was confirmed (true) or lost (false). Once confirmed, the deny list is
    // loaded and `ready(true)` follows; a failed load is tried again, with backoff.
    void on_subscription(bool subscribed, std::function<void(bool)> ready);

private:
    using Fingerprints = std::unordered_set<std::uint64_t>;

    void load_deny_list(std::uint64_t generation);
    void retry_load(std::uint64_t generation);
    // Adds to the deny list; returns whether the token is (still) refused.
    bool remember(std::string_view jti, std::chrono::system_clock::time_point until);
    void persist(const std::string& jti, std::chrono::system_clock::time_point until);
    // Closes, on every thread, the sockets of `user`, or those whose token is in `tokens`.
    void close_user(const std::string& user);
    void close_tokens(std::shared_ptr<const Fingerprints> tokens);

    std::vector<std::unique_ptr<Shard>>& shards_;
    GatewayContext& ctx_;
    RedisSubscriber& redis_;
    Options options_;
    LogLimiter reject_log_limiter_{20};
    // Counts subscriptions: a deny-list load (or its retry) that belongs to an earlier one is dropped.
    std::uint64_t subscription_generation_ = 0;
    bool subscribed_ = false;
    std::function<void(bool)> ready_;
    boost::asio::steady_timer retry_timer_;
    unsigned load_attempt_ = 0;
    std::minstd_rand rng_{std::random_device{}()};
};

}  // namespace wsgw
