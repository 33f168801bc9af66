#pragma once
// What the WebSocket and the event-stream session do alike, whatever their wire: one timer for
// keep-alive and token expiry (and, once closing, the close deadline), queueing a delivery with
// the slow-consumer rule, and the write loop around their own flush(). A CRTP base: the
// derived session's flush(), finish(), close() and keep_alive_tick() are called directly, so a
// delivery costs no call more than it did when each session had its own copy.
//
// Derived provides:
//   void flush();                                  write what is queued, if no write is in flight
//   void finish(const boost::system::error_code&); end the session (once)
//   void close(std::uint16_t, const char*, DisconnectReason, bool flush);
//   bool keep_alive_tick();                        an idle tick: false when it ended the session
#include <boost/asio/error.hpp>
#include <chrono>
#include <memory>

#include "net/session_state.hpp"
#include "net/streams.hpp"
#include "wsgw/close_codes.hpp"

namespace wsgw {

template <class Derived>
class TransportSession : public Session {
public:
    void send(OutboundPtr item) final {
        if (!state_.registered() || closing_ || finished_) return;
        if (!state_.push(*this, std::move(item)))
            derived().close(close_code::slow_consumer, "slow consumer", DisconnectReason::slow_consumer, false);
    }
    void write_queued() final {
        state_.flush_started();
        derived().flush();
    }
    std::uint64_t token_fingerprint() const noexcept final { return state_.peer.token; }

protected:
    TransportSession(Shard& shard, GatewayContext& ctx, Peer peer)
        : timer_(shard.ioc.get_executor()), state_(shard, ctx, std::move(peer)) {}

    Derived& derived() { return static_cast<Derived&>(*this); }
    std::shared_ptr<Derived> self() { return std::static_pointer_cast<Derived>(shared_from_this()); }

    // The next keep-alive tick, or the token's expiry if that comes first.
    void arm_timer() {
        timer_.expires_after(state_.next_tick());
        timer_.async_wait([self = self()](const boost::system::error_code& ec) {
            if (!ec) self->on_timer();
        });
    }

    // A closing session that cannot finish (its peer stopped reading, or never answers the close)
    // is cut off when the deadline passes.
    void arm_close_deadline() {
        timer_.expires_after(state_.ctx.handshake_timeout);
        timer_.async_wait([self = self()](const boost::system::error_code& ec) {
            if (!ec) self->derived().finish(boost::asio::error::timed_out);
        });
    }

    // The single writer's completion: the next batch, or the end.
    void on_write(const boost::system::error_code& ec) {
        state_.queue.end_write();
        if (ec) return derived().finish(ec);
        derived().flush();
    }

    ShardTimer timer_;  // keep-alive and token expiry while open; the close deadline once closing
    SessionState state_;
    // Eight bytes together: an idle socket's size is a headline figure (BENCHMARKS.md).
    DisconnectReason close_why_ = DisconnectReason::client_close;
    std::uint16_t close_code_ = 0;
    bool closing_ = false;   // no more deliveries are queued
    bool finished_ = false;

private:
    void on_timer() {
        if (closing_ || finished_) return;
        // No socket outlives its credentials: it is closed with 4001 so the client reconnects
        // with a fresh token.
        if (state_.token_expired())
            return derived().close(close_code::token_expired, "token expired", DisconnectReason::token_expired, false);
        if (derived().keep_alive_tick()) arm_timer();
    }
};

}  // namespace wsgw
