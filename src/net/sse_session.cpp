#include "net/sse_session.hpp"

#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "net/disconnect_errors.hpp"
#include "net/logging.hpp"
#include "wsgw/close_codes.hpp"
#include "wsgw/sse_event.hpp"
#include "wsgw/ws_frame.hpp"

namespace wsgw {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

// Items written at once: a backlog leaves in one gather write of up to this many events.
constexpr std::size_t kMaxBatch = 16;

// The keep-alive comment, queued like any frame so that it never interleaves with an event.
OutboundPtr keep_alive() {
    static const OutboundPtr item =
        std::make_shared<const Outbound>(Outbound{std::string(sse::kKeepAlive), MessageType::ping, {}, {}});
    return item;
}

// {"type":"close","payload":{"code":4003,"reason":"token revoked"}} as a frame like every other:
// an EventSource has no close codes, so the stream says which one a WebSocket would have got.
OutboundPtr close_event(std::uint16_t code, const char* reason) {
    auto text = nlohmann::ordered_json{{"type", "close"}, {"payload", {{"code", code}, {"reason", reason}}}}.dump();
    return std::make_shared<const Outbound>(Outbound{ws::make_frame(ws::Opcode::text, text), MessageType::notification, {}, {}});
}

template <class Stream>
auto& lowest_socket(Stream& s) {
    return boost::beast::get_lowest_layer(s).socket();
}

}  // namespace

template <class Stream>
SseSession<Stream>::SseSession(Stream&& stream, Shard& shard, GatewayContext& ctx, Peer peer,
                               std::shared_ptr<void> tls_context)
    : Base(shard, ctx, std::move(peer)), stream_(std::move(stream)), tls_context_(std::move(tls_context)) {}

template <class Stream>
void SseSession<Stream>::start() {
    head_.assign(sse::kResponseHead);
    head_.append("Server: ws-gateway/" WSGW_VERSION "\r\n\r\n").append(sse::kRetryHint);
    timer_.expires_after(state_.ctx.handshake_timeout);
    timer_.async_wait([self = self()](const error_code& e) {
        if (!e && !self->state_.registered()) self->finish(asio::error::timed_out);
    });
    asio::async_write(stream_, asio::buffer(head_),
                      [self = self()](const error_code& ec, std::size_t) { self->on_head_written(ec); });
}

template <class Stream>
void SseSession<Stream>::on_head_written(const error_code& ec) {
    if (ec) return finish(ec);
    std::string().swap(head_);
    state_.open(*this, kIsTls<Stream>, "sse", [self = self()] {
        self->arm_timer();
        self->read();
    });
}

template <class Stream>
void SseSession<Stream>::read() {
    // An event stream's client sends nothing after its request: this read only learns when it
    // goes away. Anything it does send is discarded.
    stream_.async_read_some(asio::buffer(discard_), [self = self()](const error_code& ec, std::size_t) {
        if (ec) return self->finish(ec);
        self->read();
    });
}

template <class Stream>
bool SseSession<Stream>::keep_alive_tick() {
    if (!wrote_) this->send(keep_alive());
    wrote_ = false;
    return true;
}

template <class Stream>
void SseSession<Stream>::flush() {
    if (finished_ || state_.queue.writing()) return;
    std::size_t n = state_.queue.begin_write(kMaxBatch);
    if (n == 0) {
        // The close event was the last item: the response ends here.
        if (closing_) finish({});
        return;
    }
    buffers_.clear();
    for (std::size_t i = 0; i < n; ++i) {
        const Outbound& item = state_.queue.in_flight_item(i);
        if (item.type == MessageType::ping) {
            buffers_.push_back(asio::buffer(item.frame));  // already the comment line
            continue;
        }
        const auto event = sse::render_event(item.frame);
        for (std::size_t k = 0; k < event.count; ++k) buffers_.push_back(asio::buffer(event.parts[k]));
        // Only events count as traffic: were the keep-alive's own write counted, the next tick
        // would skip its comment, and an idle stream would hear one every second interval.
        wrote_ = true;
    }
    asio::async_write(stream_, buffers_, [self = self()](const error_code& ec, std::size_t) { self->on_write(ec); });
}

template <class Stream>
void SseSession<Stream>::close(std::uint16_t code, const char* reason, DisconnectReason why, bool flush_first) {
    if (closing_ || finished_) return;
    closing_ = true;
    close_code_ = code;
    close_why_ = why;
    if (!flush_first) state_.queue.drop_unsent();
    // The close event goes last; a full queue makes room for it (it is one small frame).
    if (state_.queue.push(close_event(code, reason)) == PushResult::overflow) {
        state_.queue.drop_unsent();
        state_.queue.push(close_event(code, reason));
    }
    // A client that stopped reading never lets the queue out: the deadline ends it.
    arm_close_deadline();
    if (!state_.queue.writing()) flush();
}

template <class Stream>
void SseSession<Stream>::finish(const error_code& ec) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    std::uint16_t code = closing_ ? close_code_ : close_code::abnormal;
    DisconnectReason why = closing_ ? close_why_ : DisconnectReason::client_close;
    // An SSE client leaves by closing the connection: that is its normal end, not an error.
    const bool client_left = !closing_ && is_expected_disconnect(ec);
    if (!closing_ && !client_left) why = DisconnectReason::error;
    state_.closed(*this, code, why, why == DisconnectReason::error ? ec.message() : std::string(), "sse");
    error_code ignored;
    lowest_socket(stream_).shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    lowest_socket(stream_).close(ignored);
}

template class SseSession<PlainStream>;
template class SseSession<TlsStream>;

}  // namespace wsgw
