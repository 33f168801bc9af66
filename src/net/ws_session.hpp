#pragma once
// One authenticated WebSocket connection. Lives on its shard's thread; a single writer drains a
// bounded SendQueue, one frame in flight at a time.
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "net/shard.hpp"
#include "wsgw/send_queue.hpp"

namespace wsgw {

class WsSession : public std::enable_shared_from_this<WsSession> {
public:
    WsSession(boost::beast::tcp_stream&& stream, Shard& shard, GatewayContext& ctx, Identity identity,
              std::string project_filter, std::string remote);
    ~WsSession();

    // Completes the upgrade for `req`, then registers and starts reading.
    void start(boost::beast::http::request<boost::beast::http::empty_body> req);

    // Queues a frame; on overflow the socket is closed as a slow consumer. Never touches the
    // registry synchronously, so it is safe to call while the registry is being walked.
    void send(OutboundPtr item);

    // Starts a close handshake with `code` (e.g. 1001 at shutdown).
    void close(std::uint16_t code, std::string_view reason, DisconnectReason why);

private:
    void on_accept(boost::beast::error_code ec);
    void read();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    void flush();
    void on_write(boost::beast::error_code ec);
    void finish(boost::beast::error_code ec);

    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    boost::beast::flat_buffer buffer_;
    boost::asio::steady_timer close_deadline_;
    Shard& shard_;
    GatewayContext& ctx_;
    Identity identity_;
    std::string project_filter_;
    std::string remote_;
    SendQueue queue_;
    std::chrono::steady_clock::time_point opened_at_;
    bool registered_ = false;
    bool closing_ = false;
    bool finished_ = false;
    std::uint16_t close_code_ = 0;  // the code we sent, if we closed first
    DisconnectReason close_why_ = DisconnectReason::client_close;
};

}  // namespace wsgw
