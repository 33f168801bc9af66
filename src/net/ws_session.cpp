#include "net/ws_session.hpp"

#include <array>
#include <boost/asio/write.hpp>

#include "net/disconnect_errors.hpp"
#include "net/logging.hpp"
#include "wsgw/client_frames.hpp"
#include "wsgw/close_codes.hpp"

namespace wsgw {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

// Frames handed to the kernel in one write: enough to empty a typical backlog in one syscall,
// small enough that the buffer list travels inside the write operation.
constexpr std::size_t kMaxBatch = 16;
// TLS records are decrypted into a buffer of the session's own (OpenSSL holds far more per
// connection anyway); client frames are small.
constexpr std::size_t kTlsReadBytes = 4096;

// Up to kMaxBatch frames as one buffer sequence, copied into the write operation.
class FrameBuffers {
public:
    void add(const std::string& frame) noexcept { buffers_[count_++] = asio::buffer(frame); }
    const asio::const_buffer* begin() const noexcept { return buffers_.data(); }
    const asio::const_buffer* end() const noexcept { return buffers_.data() + count_; }

private:
    std::array<asio::const_buffer, kMaxBatch> buffers_;
    std::size_t count_ = 0;
};

// The keep-alive ping: the same empty ping frame for every socket.
OutboundPtr ping_frame() {
    static const OutboundPtr frame = std::make_shared<const Outbound>(
        Outbound{ws::make_frame(ws::Opcode::ping, {}), MessageType::ping, {}, {}});
    return frame;
}

template <class Stream>
typename WsSession<Stream>::Transport take_transport(Stream&& stream) {
    if constexpr (kIsTls<Stream>)
        return std::move(stream);
    else
        return stream.release_socket();  // the session runs its own timers
}

template <class Stream>
auto make_extras(std::shared_ptr<void> tls_context) {
    if constexpr (kIsTls<Stream>)
        return TlsExtras{std::move(tls_context), nullptr};
    else
        return NoExtras(std::move(tls_context));
}

}  // namespace

template <class Stream>
WsSession<Stream>::WsSession(Stream&& stream, Shard& shard, GatewayContext& ctx, Peer peer,
                             std::shared_ptr<void> tls_context, bool permessage_deflate)
    : Base(shard, ctx, std::move(peer)),
      stream_(take_transport<Stream>(std::move(stream))),
      tls_(make_extras<Stream>(std::move(tls_context))),
      parser_(ctx.max_inbound_frame_bytes),
      inbound_rate_(ctx.client_messages_per_second, ctx.client_messages_burst) {
    if (permessage_deflate) parser_.enable_permessage_deflate();
}

template <class Stream>
auto& WsSession<Stream>::socket() {
    if constexpr (kIsTls<Stream>)
        return stream_.next_layer().socket();
    else
        return stream_;
}

template <class Stream>
void WsSession<Stream>::start(std::string response, std::string early) {
    error_code ec;
    // Plain sockets are read only when readable (read()), which needs a non-blocking socket.
    if constexpr (!kIsTls<Stream>) socket().non_blocking(true, ec);
    scratch_ = std::make_unique<std::string>(std::move(response));
    timer_.expires_after(state_.ctx.handshake_timeout);
    timer_.async_wait([self = self()](const error_code& e) {
        if (!e && !self->state_.registered()) self->kill_socket();
    });
    asio::async_write(stream_, asio::buffer(*scratch_),
                      [self = self(), early = std::move(early)](const error_code& e, std::size_t) mutable {
                          self->on_upgraded(e, std::move(early));
                      });
}

template <class Stream>
void WsSession<Stream>::on_upgraded(const error_code& ec, std::string early) {
    if (ec) {
        log::debug("ws_handshake_failed", {{"remote", state_.peer.remote}, {"error", ec.message()}});
        return kill_socket();
    }
    scratch_.reset();  // an open connection keeps no handshake bytes
    state_.open(*this, kIsTls<Stream>, "ws", [self = self(), early = std::move(early)]() mutable {
        self->arm_timer();
        if (!early.empty()) {
            self->consume(early.data(), early.size());
            if (!self->reading()) return;
        }
        self->read();
    });
}

template <class Stream>
bool WsSession<Stream>::keep_alive_tick() {
    if (heard_) {
        heard_ = false;
        ping_outstanding_ = false;
    } else if (ping_outstanding_) {
        // A whole interval of silence after a ping: the peer or the path is gone.
        closing_ = true;
        close_code_ = close_code::abnormal;
        close_why_ = DisconnectReason::timeout;
        finish(asio::error::timed_out);
        return false;
    } else {
        ping_outstanding_ = true;
        this->send(ping_frame());
    }
    return true;
}

template <class Stream>
void WsSession<Stream>::read() {
    if constexpr (kIsTls<Stream>) {
        if (!tls_.read_buffer) tls_.read_buffer = std::make_unique<char[]>(kTlsReadBytes);
        stream_.async_read_some(asio::buffer(tls_.read_buffer.get(), kTlsReadBytes),
                                [self = self()](const error_code& ec, std::size_t n) {
                                    if (ec) return self->finish(ec);
                                    self->consume(self->tls_.read_buffer.get(), n);
                                    if (self->reading()) self->read();
                                });
    } else {
        // Read what is there now, then wait for readiness: no buffer and no read operation is
        // held while the socket is quiet. Trying before waiting also keeps an edge that fired
        // before the wait was queued from being missed.
        auto& buffer = state_.shard.read_buffer;
        for (;;) {
            error_code ec;
            std::size_t n = stream_.read_some(asio::buffer(buffer), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) break;
            if (ec) return finish(ec);
            consume(buffer.data(), n);
            if (!reading()) return;
            if (n < buffer.size()) break;  // drained; new bytes raise a new readiness event
        }
        stream_.async_wait(asio::ip::tcp::socket::wait_read, [self = self()](const error_code& ec) {
            if (ec) return self->finish(ec);
            self->read();
        });
    }
}

template <class Stream>
void WsSession<Stream>::consume(char* data, std::size_t size) {
    if (size > 0) heard_ = true;
    if (parser_.feed(data, size, *this)) return;
    const auto& error = parser_.error();
    log::debug("ws_protocol_error", {{"user", state_.peer.identity.user_id}, {"remote", state_.peer.remote}, {"code", error.code},
                                     {"error", error.reason}});
    auto why = error.code == close_code::too_big ? DisconnectReason::frame_too_big : DisconnectReason::protocol_error;
    if (!closing_) {
        close(error.code, error.reason, why, false);
    } else {
        state_.queue.drop_unsent(SendQueue::Keep::replies);
        if (!state_.queue.writing()) flush();
    }
    drop_after_close_ = true;  // nothing more is read; the socket goes once the close frame is out
    if (close_written_) finish({});
}

template <class Stream>
void WsSession<Stream>::on_message(ws::Opcode type, std::string_view data) {
    if (closing_) return;  // draining until the close handshake completes
    if (!inbound_rate_.allow(std::chrono::steady_clock::now()))
        return close(close_code::policy_violation, "rate limit exceeded", DisconnectReason::rate_limited, false);
    if (type != ws::Opcode::text)
        return close(close_code::unsupported_data, "binary frames are not accepted", DisconnectReason::binary_frame,
                     false);
    if (classify_client_text(data) == ClientFrame::ping) {
        Metrics::add(state_.ctx.metrics.client_pings);
        auto pong = std::make_shared<Outbound>();
        pong->frame = ws::make_frame(ws::Opcode::text, make_pong(std::chrono::system_clock::now()));
        pong->type = MessageType::pong;
        this->send(std::move(pong));
    } else {
        Metrics::add(state_.ctx.metrics.client_ignored);
    }
}

template <class Stream>
void WsSession<Stream>::on_ping(std::string_view payload) {
    if (closing_) return;
    // Pings count against the same rate as messages: each one costs a pong.
    if (!inbound_rate_.allow(std::chrono::steady_clock::now()))
        return close(close_code::policy_violation, "rate limit exceeded", DisconnectReason::rate_limited, false);
    auto pong = std::make_shared<Outbound>();
    pong->frame = ws::make_frame(ws::Opcode::pong, payload);
    pong->type = MessageType::pong;
    this->send(std::move(pong));
}

template <class Stream>
void WsSession<Stream>::on_pong(std::string_view) {
    ping_outstanding_ = false;
}

template <class Stream>
void WsSession<Stream>::on_close(std::uint16_t code, std::string_view) {
    peer_closed_ = true;
    if (close_written_) return finish({});  // the client answered our close: handshake complete
    if (!closing_) {
        closing_ = true;
        close_code_ = code;
        close_why_ = DisconnectReason::client_close;
        arm_close_deadline();
    }
    // The client is leaving: what it has not received yet is dropped and the close goes next,
    // after the answers to its pings that came before the close.
    state_.queue.drop_unsent(SendQueue::Keep::replies);
    if (!state_.queue.writing()) flush();
}

template <class Stream>
void WsSession<Stream>::flush() {
    if (finished_ || close_sent_ || state_.queue.writing()) return;
    std::size_t n = state_.queue.begin_write(kMaxBatch);
    if (n == 0) {
        if (closing_) send_close();  // a flushing close waits for the queue to empty
        return;
    }
    FrameBuffers buffers;
    if (parser_.permessage_deflate()) {
        // Compressed once per message for every socket that agreed (CompressedFrame).
        const std::size_t min_bytes = state_.ctx.compression_min_bytes;
        for (std::size_t i = 0; i < n; ++i) {
            const Outbound& item = state_.queue.in_flight_item(i);
            buffers.add(item.compressed.for_deflate(item.frame, min_bytes));
        }
    } else {
        for (std::size_t i = 0; i < n; ++i) buffers.add(state_.queue.in_flight_item(i).frame);
    }
    asio::async_write(stream_, buffers, [self = self()](const error_code& ec, std::size_t) { self->on_write(ec); });
}

template <class Stream>
void WsSession<Stream>::close(std::uint16_t code, const char* reason, DisconnectReason why, bool flush_first) {
    if (closing_ || finished_) return;
    closing_ = true;
    close_code_ = code;
    close_reason_ = reason;
    close_why_ = why;
    if (!flush_first) state_.queue.drop_unsent(SendQueue::Keep::replies);
    // A peer that stopped reading never lets the close frame (or the queue) out, and one that
    // never answers the close frame is not waited for: the deadline cuts both off.
    arm_close_deadline();
    if (!state_.queue.writing()) flush();  // with a write in flight, on_write continues the flush
}

template <class Stream>
void WsSession<Stream>::send_close() {
    if (close_sent_) return;
    close_sent_ = true;
    // 1005 ("no status") is never sent: a client's empty close is answered with an empty one.
    scratch_ = std::make_unique<std::string>(close_code_ == close_code::no_status ? ws::make_frame(ws::Opcode::close, {})
                                                                 : ws::make_close_frame(close_code_, close_reason_));
    asio::async_write(stream_, asio::buffer(*scratch_),
                      [self = self()](const error_code& ec, std::size_t) { self->on_close_written(ec); });
}

template <class Stream>
void WsSession<Stream>::on_close_written(const error_code& ec) {
    if (ec) return finish(ec);
    close_written_ = true;
    // Both close frames exchanged (or the peer broke the protocol): the server closes TCP first.
    if (peer_closed_ || drop_after_close_) finish({});
}

template <class Stream>
void WsSession<Stream>::kill_socket() {
    error_code ignored;
    socket().close(ignored);
}

template <class Stream>
void WsSession<Stream>::finish(const error_code& ec) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();

    std::uint16_t code = close_code::abnormal;
    // A client that went away without a close frame (a tab closed, a network lost) has closed
    // it, abnormally (1006): that is no fault of the gateway's.
    DisconnectReason why = is_expected_disconnect(ec) ? DisconnectReason::client_close : DisconnectReason::error;
    if (closing_) {
        code = close_code_;
        why = close_why_;
    }

    state_.closed(*this, code, why, why == DisconnectReason::error ? ec.message() : std::string(), "ws");
    kill_socket();
}

template class WsSession<PlainStream>;
template class WsSession<TlsStream>;

}  // namespace wsgw
