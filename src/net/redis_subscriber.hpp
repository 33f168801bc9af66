#pragma once
// The Redis side: one hiredis async connection on the gateway's first I/O thread, subscribed to
// user_noti:* and project:*:*. Reconnects with exponential backoff and jitter on any loss.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <string_view>

#include "wsgw/config.hpp"
#include "wsgw/metrics.hpp"

struct redisAsyncContext;

namespace wsgw {

class RedisSubscriber {
public:
    struct Options {
        RedisEndpoint endpoint;
        std::chrono::milliseconds connect_timeout{3000};
        std::chrono::milliseconds reconnect_min{100};
        std::chrono::milliseconds reconnect_max{5000};
    };
    using OnMessage = std::function<void(std::string_view channel, std::string_view payload)>;
    using OnState = std::function<void(bool subscribed)>;

    RedisSubscriber(boost::asio::any_io_executor executor, Options options, Metrics& metrics, OnMessage on_message,
                    OnState on_state);
    ~RedisSubscriber();
    RedisSubscriber(const RedisSubscriber&) = delete;
    RedisSubscriber& operator=(const RedisSubscriber&) = delete;

    // Both must be called on the executor's thread.
    void start();
    void stop();

private:
    void connect();
    // Drops the current connection (freeing it unless hiredis is already doing so), reports
    // not-ready and schedules a reconnect.
    void lost(std::string_view cause, bool hiredis_frees);
    // Asks for the connection to be dropped from outside hiredis's own call stack.
    void drop_later(std::string cause);
    void schedule_reconnect();
    void set_subscribed(bool on);

    static void on_connect(const redisAsyncContext* c, int status);
    static void on_disconnect(const redisAsyncContext* c, int status);
    static void on_auth_reply(redisAsyncContext* c, void* reply, void* privdata);
    static void on_pubsub_reply(redisAsyncContext* c, void* reply, void* privdata);

    boost::asio::any_io_executor executor_;
    Options options_;
    Metrics& metrics_;
    OnMessage on_message_;
    OnState on_state_;
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer deadline_timer_;
    redisAsyncContext* ac_ = nullptr;
    unsigned long generation_ = 0;
    unsigned attempt_ = 0;
    int patterns_confirmed_ = 0;
    bool subscribed_ = false;
    bool stopped_ = true;
    std::minstd_rand rng_;
};

}  // namespace wsgw
