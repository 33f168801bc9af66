#pragma once
// One Server-Sent Events stream (GET /events), over plain TCP or TLS: the sibling of WsSession
// for clients that only listen. It shares what a socket is to the rest of the gateway (the
// Session interface: registry entry, bounded send queue, closing by the shard, the control
// channel and the drain) and what it gets on registration (catch_up: resume or replay). What
// differs is the wire: each queued message (a WebSocket frame built once for every socket) is
// written as an event pointing into that frame (wsgw/sse_event.hpp), keep-alives are comment
// lines, and a close is an `event: close` naming the code a WebSocket would get, then the end
// of the response.
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/buffer.hpp>
#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "net/session_core.hpp"
#include "net/streams.hpp"

namespace wsgw {

template <class Stream>
class SseSession final : public Session {
public:
    // The caller has acquired a ConnectionLimiter slot for (user, address); the session releases
    // it when destroyed. `tls_context` holds the TLS context the stream was made with.
    SseSession(Stream&& stream, Shard& shard, GatewayContext& ctx, Peer peer, std::shared_ptr<void> tls_context);

    // Writes the response head, then registers, catches up and starts listening for the end.
    void start();

    void send(OutboundPtr item) override;
    void write_queued() override;
    void close(std::uint16_t code, const char* reason, DisconnectReason why, bool flush) override;
    std::uint64_t token_fingerprint() const noexcept override { return core_.peer.token; }

private:
    using Timer = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                    boost::asio::wait_traits<std::chrono::steady_clock>, ShardExecutor>;
    std::shared_ptr<SseSession> self() { return std::static_pointer_cast<SseSession>(shared_from_this()); }

    void on_head_written(const boost::system::error_code& ec);
    void read();
    void arm_timer();
    void on_timer();
    void flush();
    void on_write(const boost::system::error_code& ec);
    void finish(const boost::system::error_code& ec);

    Stream stream_;
    Timer timer_;  // keep-alive and token expiry while open; the close deadline once closing
    SessionCore core_;
    std::shared_ptr<void> tls_context_;
    std::string head_;                               // the response head, while it is written
    std::vector<boost::asio::const_buffer> buffers_;  // the events of the write in flight
    std::array<char, 64> discard_{};                 // whatever a client sends after its request
    std::uint16_t close_code_ = 0;
    DisconnectReason close_why_ = DisconnectReason::client_close;
    bool wrote_ = false;  // an event went out since the last keep-alive tick
    bool closing_ = false;
    bool finished_ = false;
};

extern template class SseSession<PlainStream>;
extern template class SseSession<TlsStream>;

}  // namespace wsgw
