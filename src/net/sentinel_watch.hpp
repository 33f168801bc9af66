#pragma once
// Redis Sentinel, for the subscriber: the master is asked of the sentinels, in order, before every
// connect, and the sentinel that answered is watched (SUBSCRIBE +switch-master) so that a
// failover of our master drops the subscription and the master is resolved again. A watch that
// is lost while a subscription stands is set up again with backoff; a master that moved while it
// was down is reported then.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "net/redis_client.hpp"
#include "net/redis_node_events.hpp"
#include "wsgw/endpoints.hpp"
#include "wsgw/metrics.hpp"

namespace wsgw {

class SentinelWatch {
public:
    struct Options {
        std::vector<RedisEndpoint> sentinels;  // host/port (and password) of each sentinel
        std::string master_name;
        RedisEndpoint endpoint;  // the credentials and db the master is reached with
        std::chrono::milliseconds connect_timeout{3000};
        std::chrono::milliseconds rewatch_min{100};  // backoff of a lost watch
        std::chrono::milliseconds rewatch_max{5000};
    };

    // Reports the master (found), that no sentinel named it (not_found), and that it moved.
    SentinelWatch(boost::asio::any_io_executor executor, Options options, Metrics& metrics, RedisNodeEvents events);

    // All must be called on the executor's thread.
    void start();
    void stop();
    // Asks the sentinels where the master is; reports it as found, or not_found.
    void resolve();
    // A subscription on the master last reported stands (the watch is kept up while it does), or
    // was lost.
    void subscription_up();
    void subscription_lost();

private:
    // Asks the sentinels, from `index` on. With `rewatch`, the subscription stays where it is
    // unless the master moved; only the +switch-master watch is set up again.
    void resolve_master(std::size_t index, bool rewatch);
    void watch_sentinel(const RedisEndpoint& sentinel);
    void on_watch_lost(const std::string& cause);
    void schedule_rewatch();

    boost::asio::any_io_executor executor_;
    Options options_;
    Metrics& metrics_;
    RedisNodeEvents events_;
    RedisClient query_;  // one question at a time to a sentinel
    RedisClient watch_;
    boost::asio::steady_timer rewatch_timer_;
    unsigned watch_attempt_ = 0;
    RedisEndpoint master_;  // the master last reported
    bool subscribed_ = false;
    bool stopped_ = true;
    std::minstd_rand rng_;
};

}  // namespace wsgw
