#pragma once
// One connection to a Redis node that speaks RESP2 itself over Asio (TCP or a unix socket) and
// parses with hiredis's reader, for shard-channel subscriptions.
//
// Why not a hiredis async context: hiredis 0.14 (Debian 12) knows SUBSCRIBE and PSUBSCRIBE
// only. It files SSUBSCRIBE as an ordinary command, so the second confirmation and every
// smessage find no callback and abort the process, or, once the context is subscribed, are
// handed to the callback of whatever reply came before. Here every reply goes to one handler,
// in the order it arrived, and the owner matches it to what it sent.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wsgw/endpoints.hpp"

struct redisReader;
struct redisReply;

namespace wsgw {

class RespLink : public std::enable_shared_from_this<RespLink> {
public:
    // Every reply, in order, never null; the reply is freed after the call.
    using OnReply = std::function<void(redisReply* reply)>;
    // Once, when the connection fails, closes, or is not connected within the timeout; never
    // after close().
    using OnLost = std::function<void(const std::string& cause)>;

    // A reply that grows past `max_reply_bytes` before it is complete ends the link: a bound on
    // what one node (or anyone who can publish to a channel it carries) can make this process hold.
    static std::shared_ptr<RespLink> create(boost::asio::any_io_executor executor, std::size_t max_reply_bytes,
                                            OnReply on_reply, OnLost on_lost);
    ~RespLink();
    RespLink(const RespLink&) = delete;
    RespLink& operator=(const RespLink&) = delete;

    // Starts connecting; commands may be sent at once and go out once connected. With a
    // password, AUTH goes first and its reply is not handed on (a refusal is a lost link).
    void connect(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout);
    void send(const std::vector<std::string>& args);
    // Drops the connection; on_lost is not called and no reply is handed on after this.
    void close();


private:
    RespLink(boost::asio::any_io_executor executor, std::size_t max_reply_bytes, OnReply on_reply, OnLost on_lost);
    void on_connected();
    void read();
    void write();
    void lost(const std::string& cause);

    boost::asio::any_io_executor executor_;
    OnReply on_reply_;
    OnLost on_lost_;
    boost::asio::generic::stream_protocol::socket socket_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::steady_timer deadline_;
    redisReader* reader_ = nullptr;
    std::string out_;      // formatted commands not written yet
    std::string writing_;  // the write in flight
    std::vector<char> in_;
    std::size_t max_reply_bytes_;
    std::size_t buffered_ = 0;  // bytes fed to the reader that no complete reply has taken yet
    bool connected_ = false;
    bool closed_ = false;
    bool swallow_auth_ = false;
};

// The RESP2 form of a command: an array of bulk strings.
std::string resp_command(const std::vector<std::string>& args);

}  // namespace wsgw
