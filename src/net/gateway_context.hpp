#pragma once
// The settings and shared state that every session, endpoint and listener reads.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "net/auth_state.hpp"
#include "net/user_streams.hpp"
#include "wsgw/auth.hpp"
#include "wsgw/client_address.hpp"
#include "wsgw/connection_limits.hpp"
#include "wsgw/metrics.hpp"
#include "wsgw/origin.hpp"
#include "wsgw/presence_hint.hpp"
#include "wsgw/revocation_list.hpp"
#include "wsgw/send_queue.hpp"

namespace wsgw {

class TlsContextStore;

// Settings and shared state every session and endpoint reads; immutable after start-up except
// for the atomics and the (internally locked) limiter and TLS store.
struct GatewayContext {
    GatewayContext(ConnectionCaps caps, std::size_t max_revoked_tokens) : limiter(caps), revocations(max_revoked_tokens) {}

    AuthConfig auth;
    std::string jwt_cookie;
    OriginPolicy origins;
    TrustedProxies proxies;
    SendQueueLimits send_queue;
    std::size_t max_inbound_frame_bytes = 4096;
    std::size_t max_http_request_bytes = 8192;
    double client_messages_per_second = 10;
    double client_messages_burst = 20;
    std::size_t max_pending_connections = 4096;
    std::size_t max_requests_per_connection = 100;
    // With an internal listener, /metrics is served there only.
    bool metrics_on_internal_listener = false;
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds ping_interval{25'000};
    std::chrono::milliseconds resume_wait{500};
    bool demo_enabled = false;
    bool compression = true;                  // permessage-deflate offered by clients is agreed to
    std::size_t compression_min_bytes = 1024;  // smaller messages go out uncompressed
    std::shared_ptr<TlsContextStore> tls;  // null: plain ws:// and http://
    ConnectionLimiter limiter;
    Metrics metrics;
    // Raised and lowered as sockets register and unregister on any thread: read by the
    // subscriber to choose validating a message at once or keeping it raw.
    PresenceHint presence;
    // Revoked token ids (internally locked). With a control channel, upgrades wait until the
    // deny list has been loaded from Redis once: an instance that does not know it yet would
    // let a revoked token in.
    RevocationList revocations;
    bool control_enabled = false;
    std::atomic<bool> revocations_loaded{false};
    std::atomic<bool> redis_ready{false};
    std::atomic<bool> draining{false};
    // What verifies tokens (AuthState::verify): built from `auth` at start-up, then replaced on
    // SIGHUP and by each key set fetched from jwt_jwks_url. With a key set configured, upgrades
    // wait until the first one has been fetched: until then no token could verify.
    AuthState auth_state;
    bool jwks_enabled = false;
    std::atomic<bool> jwks_loaded{false};
    // Sharded mode: where an opening socket gets its user's subscription and backlog; null in
    // patterns mode (the resume window and the per-thread cache serve instead). Set before the
    // threads start and cleared after they have ended.
    UserStreams* user_streams = nullptr;
};

}  // namespace wsgw
