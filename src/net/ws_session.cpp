#include "net/ws_session.hpp"

#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "net/logging.hpp"
#include "wsgw/client_frames.hpp"
#include "wsgw/close_codes.hpp"

namespace wsgw {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace asio = boost::asio;

template <class Stream>
WsSession<Stream>::WsSession(Stream&& stream, Shard& shard, GatewayContext& ctx, Peer peer,
                             std::shared_ptr<void> keepalive)
    : ws_(std::move(stream)),
      timer_(ws_.get_executor()),
      shard_(shard),
      ctx_(ctx),
      peer_(std::move(peer)),
      keepalive_(std::move(keepalive)),
      queue_(ctx.send_queue),
      inbound_rate_(ctx.client_messages_per_second, ctx.client_messages_burst) {}

template <class Stream>
WsSession<Stream>::~WsSession() {
    if (registered_ && !finished_) shard_.registry.remove(peer_.identity.user_id, this);
    ctx_.limiter.release(peer_.identity.user_id, peer_.address);
}

template <class Stream>
void WsSession<Stream>::start(http::request<http::empty_body> req) {
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
    ws_.async_accept(req, beast::bind_front_handler(&WsSession::on_accept, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_accept(beast::error_code ec) {
    if (ec) {
        log::debug("ws_handshake_failed", {{"remote", peer_.remote}, {"error", ec.message()}});
        return;
    }
    opened_at_ = std::chrono::steady_clock::now();
    shard_.registry.add(peer_.identity.user_id, peer_.project_filter, this);
    registered_ = true;
    ctx_.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
    Metrics::add(ctx_.metrics.connections_total);
    log::info("conn_open", {{"user", peer_.identity.user_id},
                            {"remote", peer_.remote},
                            {"address", peer_.address},
                            {"project_filter", peer_.project_filter},
                            {"tls", kIsTls<Stream>},
                            {"thread", shard_.index}});
    // Replay runs on this thread right after registration, so every message is either already
    // in the cache (replayed) or not yet fanned out here (delivered live): none is lost or doubled.
    if (auto n = shard_.replay_to(*this, peer_.identity.user_id, peer_.project_filter))
        Metrics::add(ctx_.metrics.replayed, n);
    arm_expiry();
    read();
}

template <class Stream>
void WsSession<Stream>::arm_expiry() {
    // No socket outlives its credentials: at exp (+ leeway, as at the upgrade) it is closed
    // with 4001 so the client reconnects with a fresh token.
    auto left = peer_.identity.expires_at + ctx_.auth.leeway - std::chrono::system_clock::now();
    timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(left));
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (ec || self->closing_) return;
        self->close(close_code::token_expired, "token expired", DisconnectReason::token_expired, false);
    });
}

template <class Stream>
void WsSession<Stream>::read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_read(beast::error_code ec, std::size_t) {
    if (ec) return finish(ec);
    if (closing_) {
        buffer_.clear();
        return read();  // draining until the close handshake completes
    }
    if (!inbound_rate_.allow(std::chrono::steady_clock::now())) {
        buffer_.clear();
        close(close_code::policy_violation, "rate limit exceeded", DisconnectReason::rate_limited, false);
        return read();
    }
    if (!ws_.got_text()) {
        buffer_.clear();
        close(close_code::unsupported_data, "binary frames are not accepted", DisconnectReason::binary_frame, false);
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

template <class Stream>
void WsSession<Stream>::send(OutboundPtr item) {
    if (!registered_ || closing_ || finished_) return;
    switch (queue_.push(std::move(item))) {
        case PushResult::queued:
            flush();
            break;
        case PushResult::coalesced:
            Metrics::add(ctx_.metrics.coalesced);
            break;
        case PushResult::overflow:
            log::warn("slow_consumer", {{"user", peer_.identity.user_id},
                                        {"remote", peer_.remote},
                                        {"queued_messages", queue_.size()},
                                        {"queued_bytes", queue_.bytes()}});
            close(close_code::slow_consumer, "slow consumer", DisconnectReason::slow_consumer, false);
            break;
    }
}

template <class Stream>
void WsSession<Stream>::flush() {
    if (finished_ || close_sent_) return;
    const Outbound* item = queue_.begin_write();
    if (!item) {
        if (closing_) send_close();  // a flushing close waits for the queue to empty
        return;
    }
    ws_.text(true);
    ws_.async_write(asio::buffer(item->frame),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

template <class Stream>
void WsSession<Stream>::on_write(beast::error_code ec) {
    queue_.end_write();
    if (ec) return kill_socket();  // the read side sees the broken socket and reports the close
    flush();
}

template <class Stream>
void WsSession<Stream>::close(std::uint16_t code, std::string_view reason, DisconnectReason why, bool flush_first) {
    if (closing_ || finished_) return;
    closing_ = true;
    close_code_ = code;
    close_reason_ = std::string(reason);
    close_why_ = why;
    if (!flush_first) queue_.drop_unsent();
    // A peer that stopped reading never lets the close frame (or the queue) out; the deadline
    // cuts it off.
    timer_.expires_after(ctx_.handshake_timeout);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->kill_socket();
    });
    if (!queue_.writing()) flush();  // with a write in flight, on_write continues the flush
}

template <class Stream>
void WsSession<Stream>::send_close() {
    if (close_sent_) return;
    close_sent_ = true;
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(close_code_), close_reason_),
                    [self = this->shared_from_this()](beast::error_code ec) {
                        if (ec) self->kill_socket();
                    });
}

template <class Stream>
void WsSession<Stream>::kill_socket() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

template <class Stream>
void WsSession<Stream>::finish(beast::error_code ec) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();

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
        shard_.registry.remove(peer_.identity.user_id, this);
        ctx_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
        ctx_.metrics.count_disconnect(why);
        auto duration =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - opened_at_);
        std::string error = why == DisconnectReason::error ? ec.message() : std::string();
        log::info("conn_close", {{"user", peer_.identity.user_id},
                                 {"remote", peer_.remote},
                                 {"duration_ms", duration.count()},
                                 {"code", code},
                                 {"reason", to_string(why)},
                                 {"error", error}});
    }
    queue_.drop_unsent();
    kill_socket();
}

template class WsSession<PlainStream>;
template class WsSession<TlsStream>;

}  // namespace wsgw
