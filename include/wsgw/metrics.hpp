#pragma once
// Process-wide counters and gauges, rendered as Prometheus text. Updated with relaxed atomics;
// the fan-out path adds once per message per thread, never once per delivery.
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "wsgw/auth.hpp"
#include "wsgw/channel.hpp"
#include "wsgw/control_command.hpp"
#include "wsgw/jwks_refresh.hpp"
#include "wsgw/message.hpp"

namespace wsgw {

// Sharded mode's reads of a user's stream, by outcome: a resume that found last_id, a last_id
// that could not be resumed from (the latest state read instead), the latest state for a socket
// without last_id, a gap filled after a lost subscription, a read that failed.
enum class StreamReadResult { resumed, resync, latest, gap, failed };
inline constexpr std::size_t kStreamReadResultCount = 5;
std::string_view to_string(StreamReadResult r) noexcept;

enum class DisconnectReason {
    client_close,
    slow_consumer,
    binary_frame,
    frame_too_big,
    protocol_error,  // a frame broke RFC 6455 (unmasked, bad opcode, invalid UTF-8, ...)
    rate_limited,
    token_expired,
    timeout,
    error,
    shutdown,
    disconnected,  // a disconnect command from the control channel named the user
    revoked,       // the socket's token was revoked
};
inline constexpr std::size_t kDisconnectReasonCount = 12;
std::string_view to_string(DisconnectReason r) noexcept;

enum class HttpRejection {
    bad_request,
    not_found,
    method_not_allowed,
    bad_project_id,
    request_too_large,
    forbidden_origin,
    over_capacity,      // max_connections
    over_user_limit,    // max_connections_per_user
    over_address_limit, // max_connections_per_address
    draining,
    tls_handshake_failed,
    not_ready,          // the revocation list (or the JWKS key set) has not been loaded yet
    over_pending_limit, // max_pending_connections: closed at accept, before any request is read
};
inline constexpr std::size_t kHttpRejectionCount = 13;
std::string_view to_string(HttpRejection r) noexcept;

using Counter = std::atomic<std::uint64_t>;

struct Metrics {
    std::atomic<std::int64_t> connections_open{0};
    Counter connections_total{0};
    Counter connections_compressed{0};  // upgrades that agreed to permessage-deflate
    std::array<Counter, 2 * kMessageTypeCount * kPayloadFormatCount> received{};
    std::array<Counter, kDropReasonCount> dropped{};
    Counter deliveries{0};
    // Messages for users with no socket here, sketched and kept raw instead of validated on
    // arrival (wsgw/message_sketch.hpp), and raw messages validated later on an I/O thread.
    Counter messages_kept_raw{0};
    Counter messages_kept_raw_validated{0};
    Counter coalesced{0};
    std::array<Counter, kDisconnectReasonCount> disconnects{};
    std::array<Counter, kAuthFailureCount> auth_failures{};
    std::array<Counter, kHttpRejectionCount> http_rejections{};
    Counter client_pings{0};
    Counter client_ignored{0};
    std::atomic<int> redis_connected{0};
    std::atomic<int> redis_subscribed{0};
    Counter redis_connects{0};
    Counter redis_disconnects{0};
    Counter redis_connect_attempts{0};
    Counter redis_sentinel_switches{0};
    Counter redis_probes_ok{0};
    Counter redis_probe_failures{0};
    std::atomic<std::uint64_t> redis_probe_rtt_us{0};  // last successful probe
    // Redis Cluster: moves from one node to another, topology reads, healthy nodes last seen.
    Counter redis_node_switches{0};
    Counter redis_topology_refreshes_ok{0};
    Counter redis_topology_refreshes_failed{0};
    std::atomic<std::uint64_t> redis_cluster_nodes{0};
    Counter replayed{0};
    std::array<Counter, kControlActionCount> control_commands{};
    std::array<Counter, kControlErrorCount> control_rejected{};
    std::atomic<std::uint64_t> revoked_tokens{0};  // deny-list size, as of its last change
    std::atomic<std::uint64_t> revoked_tokens_evicted{0};
    Counter revocation_loads_ok{0};
    Counter revocation_loads_failed{0};
    // Connections accepted that have not finished their request or handshake yet.
    std::atomic<std::int64_t> connections_pending{0};
    Counter tls_reloads_ok{0};
    Counter tls_reloads_failed{0};
    Counter resume_hits{0};
    Counter resume_misses{0};
    Counter resumed_messages{0};
    Counter resume_evictions{0};
    // Summed over I/O threads, each of which keeps its own window of the same messages (their
    // frames are shared, so memory is at most this).
    std::atomic<std::int64_t> resume_retained_messages{0};
    std::atomic<std::int64_t> resume_retained_bytes{0};
    // Identity provider keys (jwt_jwks_url): fetches by result, the keys in use, and when they
    // were loaded (steady clock, ms since its epoch; 0: none yet), for the age gauge.
    std::array<Counter, kJwksFetchResultCount> jwks_fetches{};
    std::atomic<bool> jwks_enabled{false};
    std::atomic<std::uint64_t> jwks_keys{0};
    std::atomic<std::int64_t> jwks_loaded_at_ms{0};
    // Sharded mode (rendered only in it): users whose shard channel is subscribed, the
    // SSUBSCRIBE and SUNSUBSCRIBE commands sent, stream reads by outcome, and loads of the
    // function library by result.
    std::atomic<bool> sharded_enabled{false};
    std::atomic<std::int64_t> shard_subscriptions{0};
    Counter shard_subscribe_commands{0};
    Counter shard_unsubscribe_commands{0};
    std::array<Counter, kStreamReadResultCount> stream_reads{};
    Counter function_loads_ok{0};
    Counter function_loads_failed{0};
    // SIGHUP reloads of the token-verifying secrets and key files.
    Counter auth_reloads_ok{0};
    Counter auth_reloads_failed{0};

    static void add(Counter& c, std::uint64_t n = 1) noexcept { c.fetch_add(n, std::memory_order_relaxed); }
    // The Redis node subscribed to ("host:port"; empty while none), for wsgw_redis_node.
    void set_redis_node(std::string node);
    std::string redis_node() const;
    void count_received(ChannelKind kind, MessageType type, PayloadFormat format) noexcept;
    void count_dropped(DropReason r) noexcept { add(dropped[static_cast<std::size_t>(r)]); }
    void count_auth_failure(AuthFailure f) noexcept { add(auth_failures[static_cast<std::size_t>(f)]); }
    void count_disconnect(DisconnectReason r) noexcept { add(disconnects[static_cast<std::size_t>(r)]); }
    void count_http_rejection(HttpRejection r) noexcept { add(http_rejections[static_cast<std::size_t>(r)]); }
    void count_control(ControlAction a) noexcept { add(control_commands[static_cast<std::size_t>(a)]); }
    void count_control_rejected(ControlError e) noexcept { add(control_rejected[static_cast<std::size_t>(e)]); }
    void count_jwks_fetch(JwksFetchResult r) noexcept { add(jwks_fetches[static_cast<std::size_t>(r)]); }
    void count_stream_read(StreamReadResult r) noexcept { add(stream_reads[static_cast<std::size_t>(r)]); }

private:
    mutable std::mutex redis_node_mutex_;
    std::string redis_node_;
};

std::string render_prometheus(const Metrics& m);

}  // namespace wsgw
