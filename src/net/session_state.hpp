#pragma once
// What every client connection is to the rest of the gateway, whatever its transport (WebSocket,
// Server-Sent Events): who it is, its thread, its bounded send queue, its registry entry, its
// connection-limit slot, its open and close in metrics and logs, and when its keep-alive or
// token expiry is due. A transport session owns one and adds only its wire.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "net/peer.hpp"
#include "net/session.hpp"
#include "net/gateway_context.hpp"
#include "net/shard.hpp"

namespace wsgw {

class SessionState {
public:
    // On the shard's thread, as the session is admitted: from here on, commands reach it.
    SessionState(Shard& shard, GatewayContext& ctx, Peer peer)
        : shard(shard), ctx(ctx), peer(std::move(peer)), queue(ctx.send_queue) {
        shard.opening.insert(this);
    }
    // Releases the connection-limit slot the HTTP session acquired for this peer.
    ~SessionState();
    SessionState(const SessionState&) = delete;
    SessionState& operator=(const SessionState&) = delete;

    // Registers `self` for its user on this thread, counts and logs the open, queues what it
    // missed (catch_up), then calls `opened`. A client resuming from an id this thread has not
    // received yet may come from an instance that is ahead of this one: registration waits for
    // the id (up to ctx.resume_wait, and half the handshake timeout), so that what it missed is
    // sent from the window and nothing it already has arrives live; past the wait, it gets a
    // resync. `transport` is logged.
    void open(Session& self, bool tls, const char* transport, std::function<void()> opened);
    // Queues an item for `self`, having the shard flush it with the rest of the batch. False when
    // the queue overflowed (logged): the caller closes the socket as a slow consumer.
    bool push(Session& self, OutboundPtr item);
    // The shard is flushing this socket now.
    void flush_started() noexcept { flush_scheduled_ = false; }
    // Unregisters, counts and logs the close (once; nothing for a socket that never opened).
    void closed(Session& self, std::uint16_t code, DisconnectReason why, const std::string& error, const char* transport);

    // A disconnect or revoke reached this socket before it registered: it opens (so the client
    // reads the close code, as a registered socket's would) and is closed at once, with nothing
    // sent before the close and no wait for its last_id.
    // Only disconnect and revoke do this; both close with 4003.
    void refuse_at_open(DisconnectReason why) {
        if (refused_at_open_ == 0) refused_at_open_ = static_cast<std::uint8_t>(1 + static_cast<int>(why));
    }

    bool registered() const noexcept { return registered_; }
    // One timer per socket serves keep-alive and token expiry: it wakes every ping interval, or
    // at exp (+ leeway, as at admission) if that comes first.
    std::chrono::steady_clock::duration next_tick() const;
    bool token_expired() const;

    Shard& shard;
    GatewayContext& ctx;
    Peer peer;
    SendQueue queue;

private:
    // Sharded mode: registration waits for the user's subscription and stream read.
    void open_from_stream(Session& self, bool tls, const char* transport, std::function<void()> opened);
    // Registers, counts and logs the open; false when a refusal that came first closed it.
    bool register_open(Session& self, bool tls, const char* transport, const std::function<void()>& opened);

    Session* self_ = nullptr;  // set by open()
    std::chrono::steady_clock::time_point opened_at_;
    bool registered_ = false;
    bool flush_scheduled_ = false;
    // 1 + the DisconnectReason of a refusal that came before registration; 0: none. One byte in
    // what was padding: every idle socket carries it.
    std::uint8_t refused_at_open_ = 0;
    bool stream_held_ = false;  // sharded mode: this socket counts toward its user's subscription
};

}  // namespace wsgw
