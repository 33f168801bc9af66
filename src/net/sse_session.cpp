#include "net/sse_session.hpp"

#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "net/catch_up.hpp"
#include "net/logging.hpp"
#include "wsgw/close_codes.hpp"
#include "wsgw/sse_event.hpp"

namespace wsgw {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

// Items written at once: a backlog leaves in one gather write of up to this many events.
constexpr std::size_t kMaxBatch = 16;

// The keep-alive comment, queued like any frame so that it never interleaves with an event.
OutboundPtr keep_alive() {
    static const OutboundPtr item =
        std::make_shared<const Outbound>(Outbound{std::string(sse::kKeepAlive), MessageType::ping, {}});
    return item;
}

// {"type":"close","payload":{"code":4003,"reason":"token revoked"}} as a frame like every other:
// an EventSource has no close codes, so the stream says which one a WebSocket would have got.
OutboundPtr close_event(std::uint16_t code, const char* reason) {
    auto text = nlohmann::ordered_json{{"type", "close"}, {"payload", {{"code", code}, {"reason", reason}}}}.dump();
    return std::make_shared<const Outbound>(Outbound{ws::make_frame(ws::Opcode::text, text), MessageType::notification, {}});
}

template <class Stream>
auto& lowest_socket(Stream& s) {
    return boost::beast::get_lowest_layer(s).socket();
}

}  // namespace

template <class Stream>
SseSession<Stream>::SseSession(Stream&& stream, Shard& shard, GatewayContext& ctx, Peer peer,
                               std::shared_ptr<void> keepalive)
    : stream_(std::move(stream)),
      timer_(shard.ioc.get_executor()),
      shard_(shard),
      ctx_(ctx),
      peer_(std::move(peer)),
      keepalive_(std::move(keepalive)),
      queue_(ctx.send_queue) {}

template <class Stream>
SseSession<Stream>::~SseSession() {
    if (registered_ && !finished_) shard_.registry.remove(peer_.identity.user_id, this);
    ctx_.limiter.release(peer_.identity.user_id, peer_.address);
}

template <class Stream>
void SseSession<Stream>::start() {
    head_.assign(sse::kResponseHead);
    head_.append("Server: ws-gateway/" WSGW_VERSION "\r\n\r\n").append(sse::kRetryHint);
    timer_.expires_after(ctx_.handshake_timeout);
    timer_.async_wait([self = self()](const error_code& e) {
        if (!e && !self->registered_) self->finish(asio::error::timed_out);
    });
    asio::async_write(stream_, asio::buffer(head_),
                      [self = self()](const error_code& ec, std::size_t) { self->on_head_written(ec); });
}

template <class Stream>
void SseSession<Stream>::on_head_written(const error_code& ec) {
    if (ec) return finish(ec);
    std::string().swap(head_);
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
                            {"thread", shard_.index},
                            {"transport", "sse"}});
    catch_up(shard_, *this, peer_, ctx_.metrics);
    arm_timer();
    read();
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
void SseSession<Stream>::arm_timer() {
    auto left = peer_.identity.expires_at + ctx_.auth.leeway - std::chrono::system_clock::now();
    auto wait = std::min(std::chrono::duration_cast<std::chrono::steady_clock::duration>(left),
                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(ctx_.ping_interval));
    timer_.expires_after(wait);
    timer_.async_wait([self = self()](const error_code& ec) {
        if (!ec) self->on_timer();
    });
}

template <class Stream>
void SseSession<Stream>::on_timer() {
    if (closing_ || finished_) return;
    if (std::chrono::system_clock::now() >= peer_.identity.expires_at + ctx_.auth.leeway)
        return close(close_code::token_expired, "token expired", DisconnectReason::token_expired, false);
    if (!wrote_) send(keep_alive());
    wrote_ = false;
    arm_timer();
}

template <class Stream>
void SseSession<Stream>::send(OutboundPtr item) {
    if (!registered_ || closing_ || finished_) return;
    switch (queue_.push(std::move(item))) {
        case PushResult::queued:
            if (!flush_scheduled_ && !queue_.writing()) {
                flush_scheduled_ = true;
                shard_.want_flush(shared_from_this());
            }
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
void SseSession<Stream>::write_queued() {
    flush_scheduled_ = false;
    flush();
}

template <class Stream>
void SseSession<Stream>::flush() {
    if (finished_ || queue_.writing()) return;
    std::size_t n = queue_.begin_write(kMaxBatch);
    if (n == 0) {
        // The close event was the last item: the response ends here.
        if (closing_) finish({});
        return;
    }
    buffers_.clear();
    for (std::size_t i = 0; i < n; ++i) {
        const Outbound& item = queue_.in_flight_item(i);
        if (item.type == MessageType::ping) {
            buffers_.push_back(asio::buffer(item.frame));  // already the comment line
            continue;
        }
        const auto event = sse::render_event(item.frame);
        for (std::size_t k = 0; k < event.count; ++k) buffers_.push_back(asio::buffer(event.parts[k]));
    }
    wrote_ = true;
    asio::async_write(stream_, buffers_, [self = self()](const error_code& ec, std::size_t) { self->on_write(ec); });
}

template <class Stream>
void SseSession<Stream>::on_write(const error_code& ec) {
    queue_.end_write();
    if (ec) return finish(ec);
    flush();
}

template <class Stream>
void SseSession<Stream>::close(std::uint16_t code, const char* reason, DisconnectReason why, bool flush_first) {
    if (closing_ || finished_) return;
    closing_ = true;
    close_code_ = code;
    close_reason_ = reason;
    close_why_ = why;
    if (!flush_first) queue_.drop_unsent();
    // The close event goes last; a full queue makes room for it (it is one small frame).
    if (queue_.push(close_event(code, reason)) == PushResult::overflow) {
        queue_.drop_unsent();
        queue_.push(close_event(code, reason));
    }
    // A client that stopped reading never lets the queue out: the deadline ends it.
    timer_.expires_after(ctx_.handshake_timeout);
    timer_.async_wait([self = self()](const error_code& ec) {
        if (!ec) self->finish(asio::error::timed_out);
    });
    if (!queue_.writing()) flush();
}

template <class Stream>
void SseSession<Stream>::finish(const error_code& ec) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    std::uint16_t code = closing_ ? close_code_ : close_code::abnormal;
    DisconnectReason why = closing_ ? close_why_ : DisconnectReason::client_close;
    // An SSE client leaves by closing the connection: that is its normal end, not an error.
    const bool client_left = !closing_ && (ec == asio::error::eof || ec == asio::error::connection_reset ||
                                           ec == asio::ssl::error::stream_truncated);
    if (!closing_ && !client_left) why = DisconnectReason::error;
    if (registered_) {
        shard_.registry.remove(peer_.identity.user_id, this);
        ctx_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
        ctx_.metrics.count_disconnect(why);
        auto duration =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - opened_at_);
        log::info("conn_close", {{"user", peer_.identity.user_id},
                                 {"remote", peer_.remote},
                                 {"duration_ms", duration.count()},
                                 {"code", code},
                                 {"reason", to_string(why)},
                                 {"error", why == DisconnectReason::error ? ec.message() : std::string()},
                                 {"transport", "sse"}});
    }
    queue_.drop_unsent();
    error_code ignored;
    lowest_socket(stream_).shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    lowest_socket(stream_).close(ignored);
}

template class SseSession<PlainStream>;
template class SseSession<TlsStream>;

}  // namespace wsgw
