#include "net/ws_session.hpp"

#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "net/logging.hpp"
#include "wsgw/client_frames.hpp"
#include "wsgw/close_codes.hpp"

namespace wsgw {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace asio = boost::asio;

WsSession::WsSession(beast::tcp_stream&& stream, Shard& shard, GatewayContext& ctx, Identity identity,
                     std::string project_filter, std::string remote)
    : ws_(std::move(stream)),
      close_deadline_(ws_.get_executor()),
      shard_(shard),
      ctx_(ctx),
      identity_(std::move(identity)),
      project_filter_(std::move(project_filter)),
      remote_(std::move(remote)),
      queue_(ctx.send_queue) {}

WsSession::~WsSession() {
    if (registered_ && !finished_) shard_.registry.remove(identity_.user_id, this);
}

void WsSession::start(http::request<http::empty_body> req) {
    // The websocket stream runs its own timers (handshake, idle + keep-alive pings); the TCP
    // stream's timer must be off or it would cut idle sockets.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = ctx_.handshake_timeout;
    // Beast pings after half the idle timeout without traffic and closes after the whole.
    timeouts.idle_timeout = ctx_.ping_interval * 2;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "ws-gateway/" WSGW_VERSION); }));
    ws_.read_message_max(ctx_.max_inbound_frame_bytes);
    // One message, one frame: outbound frames are written straight from the shared buffer.
    ws_.auto_fragment(false);
    ws_.async_accept(req, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
}

void WsSession::on_accept(beast::error_code ec) {
    if (ec) {
        log::debug("ws_handshake_failed", {{"remote", remote_}, {"error", ec.message()}});
        return;
    }
    opened_at_ = std::chrono::steady_clock::now();
    shard_.registry.add(identity_.user_id, project_filter_, this);
    registered_ = true;
    ctx_.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
    Metrics::add(ctx_.metrics.connections_total);
    log::info("conn_open", {{"user", identity_.user_id},
                            {"remote", remote_},
                            {"project_filter", project_filter_},
                            {"thread", shard_.index}});
    read();
}

void WsSession::read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
}

void WsSession::on_read(beast::error_code ec, std::size_t) {
    if (ec) return finish(ec);
    if (!ws_.got_text()) {
        buffer_.clear();
        close(close_code::unsupported_data, "binary frames are not accepted", DisconnectReason::binary_frame);
        return read();  // the close handshake completes through the pending read
    }
    auto data = buffer_.cdata();
    std::string_view text(static_cast<const char*>(data.data()), data.size());
    if (classify_client_text(text) == ClientFrame::ping) {
        Metrics::add(ctx_.metrics.client_pings);
        auto pong = std::make_shared<Outbound>();
        pong->frame = make_pong(std::chrono::system_clock::now());
        pong->type = MessageType::pong;
        send(std::move(pong));
    } else {
        Metrics::add(ctx_.metrics.client_ignored);
    }
    buffer_.clear();
    buffer_.shrink_to_fit();  // an idle socket keeps no read buffer
    read();
}

void WsSession::send(OutboundPtr item) {
    if (!registered_ || closing_ || finished_) return;
    switch (queue_.push(std::move(item))) {
        case PushResult::queued:
            flush();
            break;
        case PushResult::coalesced:
            Metrics::add(ctx_.metrics.coalesced);
            break;
        case PushResult::overflow:
            log::warn("slow_consumer", {{"user", identity_.user_id},
                                        {"remote", remote_},
                                        {"queued_messages", queue_.size()},
                                        {"queued_bytes", queue_.bytes()}});
            close(close_code::slow_consumer, "slow consumer", DisconnectReason::slow_consumer);
            break;
    }
}

void WsSession::flush() {
    if (closing_ || finished_) return;
    const Outbound* item = queue_.begin_write();
    if (!item) return;
    ws_.text(true);
    ws_.async_write(asio::buffer(item->frame),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void WsSession::on_write(beast::error_code ec) {
    queue_.end_write();
    if (ec) {
        // The read side sees the broken socket and reports the close.
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
        return;
    }
    flush();
}

void WsSession::close(std::uint16_t code, std::string_view reason, DisconnectReason why) {
    if (closing_ || finished_) return;
    closing_ = true;
    close_code_ = code;
    close_why_ = why;
    queue_.drop_unsent();
    // A peer that stopped reading never lets the close frame out; the deadline cuts it off.
    close_deadline_.expires_after(ctx_.handshake_timeout);
    close_deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec) return;
        beast::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().close(ignored);
    });
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason), [self = shared_from_this()](beast::error_code ec) {
        if (ec) {
            beast::error_code ignored;
            beast::get_lowest_layer(self->ws_).socket().close(ignored);
        }
    });
}

void WsSession::finish(beast::error_code ec) {
    if (finished_) return;
    finished_ = true;
    close_deadline_.cancel();

    std::uint16_t code = close_code::abnormal;
    DisconnectReason why = DisconnectReason::error;
    if (closing_) {
        code = close_code_;
        why = close_why_;
    } else if (ec == websocket::error::closed) {
        code = ws_.reason().code;
        why = DisconnectReason::client_close;
    } else if (ec == websocket::error::message_too_big) {
        code = close_code::too_big;  // Beast has sent the close frame itself
        why = DisconnectReason::frame_too_big;
    } else if (ec == beast::error::timeout) {
        why = DisconnectReason::timeout;
    }

    if (registered_) {
        shard_.registry.remove(identity_.user_id, this);
        ctx_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
        ctx_.metrics.count_disconnect(why);
        auto duration =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - opened_at_);
        // Expected endings (a clean close) are info; the rest carry the socket error.
        if (why == DisconnectReason::error)
            log::info("conn_close", {{"user", identity_.user_id},
                                     {"remote", remote_},
                                     {"duration_ms", duration.count()},
                                     {"code", code},
                                     {"reason", to_string(why)},
                                     {"error", ec.message()}});
        else
            log::info("conn_close", {{"user", identity_.user_id},
                                     {"remote", remote_},
                                     {"duration_ms", duration.count()},
                                     {"code", code},
                                     {"reason", to_string(why)}});
    }
    queue_.drop_unsent();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

}  // namespace wsgw
