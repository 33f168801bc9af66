#pragma once
// One authenticated WebSocket connection, over plain TCP or TLS. Lives on its shard's thread; a
// single writer drains a bounded SendQueue, one frame in flight at a time.
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "net/session.hpp"
#include "net/shard.hpp"
#include "net/streams.hpp"
#include "wsgw/rate_limiter.hpp"

namespace wsgw {

// Who is connecting, as established by the HTTP session before the upgrade.
struct Peer {
    Identity identity;
    std::string project_filter;
    std::string address;  // client address (after trusted proxies): the per-address limit key
    std::string remote;   // TCP peer "ip:port", for logs
};

template <class Stream>
class WsSession final : public Session, public std::enable_shared_from_this<WsSession<Stream>> {
public:
    // The caller has acquired a ConnectionLimiter slot for (user, address); the session releases
    // it when destroyed. `keepalive` holds the TLS context the stream was made with.
    WsSession(Stream&& stream, Shard& shard, GatewayContext& ctx, Peer peer, std::shared_ptr<void> keepalive);
    ~WsSession() override;

    // Completes the upgrade for `req`, then registers and starts reading.
    void start(boost::beast::http::request<boost::beast::http::empty_body> req);

    void send(OutboundPtr item) override;
    void close(std::uint16_t code, std::string_view reason, DisconnectReason why, bool flush) override;

private:
    void on_accept(boost::beast::error_code ec);
    void arm_expiry();
    void read();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    void flush();
    void on_write(boost::beast::error_code ec);
    void send_close();
    void kill_socket();
    void finish(boost::beast::error_code ec);

    boost::beast::websocket::stream<Stream> ws_;
    boost::beast::flat_buffer buffer_;
    boost::asio::steady_timer timer_;  // token expiry while open; close deadline once closing
    Shard& shard_;
    GatewayContext& ctx_;
    Peer peer_;
    std::shared_ptr<void> keepalive_;
    SendQueue queue_;
    RateLimiter inbound_rate_;
    std::chrono::steady_clock::time_point opened_at_;
    bool registered_ = false;
    bool closing_ = false;       // no more frames are queued
    bool close_sent_ = false;    // the close frame has been started
    bool finished_ = false;
    std::uint16_t close_code_ = 0;
    std::string close_reason_;
    DisconnectReason close_why_ = DisconnectReason::client_close;
};

extern template class WsSession<PlainStream>;
extern template class WsSession<TlsStream>;

}  // namespace wsgw
