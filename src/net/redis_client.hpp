#pragma once
// One hiredis async connection driven by an Asio executor, with owned reply handlers.
//
// hiredis calls a command's callback once (with the reply, or with null when the connection is
// freed first); a (P)SUBSCRIBE callback is called for every confirmation and message, and with
// null once per channel or pattern when the connection is freed. Handlers are therefore owned
// here, not by hiredis: one-shot handlers are dropped after their call, subscription handlers
// when the connection closes.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <list>
#include <string>
#include <vector>

#include "wsgw/config.hpp"

struct redisAsyncContext;
struct redisReply;

namespace wsgw {

class RedisClient {
public:
    // Handlers and on_lost run inside hiredis's call stack: they may queue commands and call
    // fail(), but must not call connect() or close() or destroy the client synchronously.
    using ReplyHandler = std::function<void(redisReply* reply)>;  // null: connection gone
    using LostHandler = std::function<void(const std::string& cause)>;

    RedisClient(boost::asio::any_io_executor executor, LostHandler on_lost);
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    // Starts connecting (and authenticating, when the endpoint has a password). Commands may be
    // queued at once. `on_lost` fires once for this connection when it fails, closes, or is not
    // up and ready within `timeout` (measured until mark_ready() is called); never after close().
    bool connect(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout, std::string& error);
    // The caller's handshake (e.g. subscribing) is done: the connect timeout no longer applies.
    void mark_ready();
    // Frees the connection; pending handlers see a null reply; on_lost is not called.
    void close();
    // Drops the connection from outside hiredis's call stack and reports `cause` through on_lost.
    void fail(std::string cause);

    bool active() const noexcept { return ac_ != nullptr; }
    void command(const std::vector<std::string>& args, ReplyHandler handler, bool subscription = false);

    static std::string endpoint_text(const RedisEndpoint& endpoint);

private:
    struct Handler {
        RedisClient* owner;
        ReplyHandler fn;
        bool subscription;
        std::list<Handler>::iterator self;
    };
    void lost(const std::string& cause, bool hiredis_frees);
    static void on_connect(const redisAsyncContext* c, int status);
    static void on_disconnect(const redisAsyncContext* c, int status);
    static void on_reply(redisAsyncContext* c, void* reply, void* privdata);

    boost::asio::any_io_executor executor_;
    LostHandler on_lost_;
    boost::asio::steady_timer deadline_;
    redisAsyncContext* ac_ = nullptr;
    unsigned long generation_ = 0;
    std::string auth_error_;  // set when this connection's AUTH was refused
    std::list<Handler> handlers_;
};

}  // namespace wsgw
