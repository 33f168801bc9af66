#pragma once
// One Server-Sent Events stream (GET /events), over plain TCP or TLS: the sibling of WsSession
// for clients that only listen. It shares what a socket is to the rest of the gateway (the
// Session interface: registry entry, bounded send queue, closing by the shard, the control
// channel and the drain) and what it gets on registration (catch_up: resume or replay). What
// differs is the wire: each queued message (a WebSocket frame built once for every socket) is
// written as an event pointing into that frame (wsgw/sse_event.hpp), keep-alives are comment
// lines, and a close is an `event: close` naming the code a WebSocket would get, then the end
// of the response.
#include <boost/asio/buffer.hpp>
#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "net/streams.hpp"
#include "net/transport_session.hpp"

namespace wsgw {

template <class Stream>
class SseSession final : public TransportSession<SseSession<Stream>> {
    using Base = TransportSession<SseSession<Stream>>;
    friend Base;

public:
    // The caller has acquired a ConnectionLimiter slot for (user, address); the session releases
    // it when destroyed. `tls_context` holds the TLS context the stream was made with.
    SseSession(Stream&& stream, Shard& shard, GatewayContext& ctx, Peer peer, std::shared_ptr<void> tls_context);

    // Writes the response head, then registers, catches up and starts listening for the end.
    void start();

    void close(std::uint16_t code, const char* reason, DisconnectReason why, bool flush) override;

private:
    using Base::arm_close_deadline;
    using Base::arm_timer;
    using Base::close_code_;
    using Base::close_why_;
    using Base::closing_;
    using Base::state_;
    using Base::finished_;
    using Base::on_write;
    using Base::self;
    using Base::timer_;

    void on_head_written(const boost::system::error_code& ec);
    void read();
    // An idle tick: a comment line, unless an event went out since the last one.
    bool keep_alive_tick();
    void flush();
    void finish(const boost::system::error_code& ec);

    Stream stream_;
    std::shared_ptr<void> tls_context_;
    std::string head_;                               // the response head, while it is written
    std::vector<boost::asio::const_buffer> buffers_;  // the events of the write in flight
    std::array<char, 64> discard_{};                 // whatever a client sends after its request
    bool wrote_ = false;  // an event went out since the last keep-alive tick
};

extern template class SseSession<PlainStream>;
extern template class SseSession<TlsStream>;

}  // namespace wsgw
