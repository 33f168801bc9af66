#pragma once
// What fan-out, shutdown and the control channel need of a WebSocket session, whatever its
// transport.
#include <cstdint>
#include <memory>

#include "wsgw/metrics.hpp"
#include "wsgw/send_queue.hpp"

namespace wsgw {

class Session : public std::enable_shared_from_this<Session> {
public:
    virtual ~Session() = default;
    // Queues a frame; the shard writes it out with whatever else was queued for this socket by
    // the same batch of work (Shard::want_flush). Never touches the registry synchronously, so
    // it is safe to call while the registry is being walked.
    virtual void send(OutboundPtr item) = 0;
    // Starts writing what is queued (called by the shard after a batch of deliveries).
    virtual void write_queued() = 0;
    // Closes with `code` and `reason` (a string literal: it is kept, not copied). With `flush`,
    // frames already queued are written first (shutdown: no message accepted before the signal
    // is lost); without, they are dropped.
    virtual void close(std::uint16_t code, const char* reason, DisconnectReason why, bool flush) = 0;
    // The fingerprint of the token's jti (wsgw::token_fingerprint), 0 without one: what a
    // revocation matches sockets by.
    virtual std::uint64_t token_fingerprint() const noexcept = 0;
};

}  // namespace wsgw
