#include "wsgw/metrics.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

namespace wsgw {

namespace {

constexpr std::array<std::string_view, kDisconnectReasonCount> kDisconnectNames = {
    "client_close", "slow_consumer", "binary_frame", "frame_too_big", "protocol_error", "rate_limited",
    "token_expired", "timeout",       "error",        "shutdown",       "disconnected", "revoked"};
constexpr std::array<std::string_view, kHttpRejectionCount> kHttpNames = {
    "bad_request",      "not_found",     "method_not_allowed", "bad_project_id",
    "request_too_large", "forbidden_origin", "over_capacity",  "over_user_limit",
    "over_address_limit", "draining",     "tls_handshake_failed", "not_ready",
    "over_pending_limit"};

std::size_t received_index(ChannelKind kind, MessageType type, PayloadFormat format) noexcept {
    return (static_cast<std::size_t>(kind) * kMessageTypeCount + static_cast<std::size_t>(type)) *
               kPayloadFormatCount +
           static_cast<std::size_t>(format);
}

std::uint64_t load(const Counter& c) noexcept { return c.load(std::memory_order_relaxed); }

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value) {
    out.append(name);
    if (!labels.empty()) out.append("{").append(labels).append("}");
    out.append(" ").append(std::to_string(value)).append("\n");
}

template <std::size_t N, class NameFn>
void labelled(std::string& out, std::string_view name, std::string_view label, const std::array<Counter, N>& values,
              NameFn name_of) {
    for (std::size_t i = 0; i < N; ++i)
        sample(out, name, std::string(label) + "=\"" + std::string(name_of(i)) + "\"", load(values[i]));
}

}  // namespace

std::string_view to_string(DisconnectReason r) noexcept { return kDisconnectNames[static_cast<std::size_t>(r)]; }
std::string_view to_string(HttpRejection r) noexcept { return kHttpNames[static_cast<std::size_t>(r)]; }
std::string_view to_string(StreamReadResult r) noexcept {
    static constexpr std::array<std::string_view, kStreamReadResultCount> kNames{"resumed", "resync", "latest", "gap",
                                                                                  "failed"};
    return kNames[static_cast<std::size_t>(r)];
}

void Metrics::count_received(ChannelKind kind, MessageType type, PayloadFormat format) noexcept {
    add(received[received_index(kind, type, format)]);
}

void Metrics::set_redis_node(std::string node) {
    // A label value: nothing that could end or escape the quotes.
    for (char& ch : node)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != ':' && ch != '[' && ch != ']' &&
            ch != '-' && ch != '_')
            ch = '_';
    std::lock_guard lock(redis_node_mutex_);
    redis_node_ = std::move(node);
}

std::string Metrics::redis_node() const {
    std::lock_guard lock(redis_node_mutex_);
    return redis_node_;
}

std::string render_prometheus(const Metrics& m) {
    std::string out;
    out.reserve(8192);
    header(out, "wsgw_connections", "gauge", "Open WebSocket connections.");
    sample(out, "wsgw_connections", "",
           static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.connections_open.load(std::memory_order_relaxed))));
    header(out, "wsgw_connections_total", "counter", "WebSocket connections accepted since start.");
    sample(out, "wsgw_connections_total", "", load(m.connections_total));
    header(out, "wsgw_connections_compressed_total", "counter",
           "WebSocket connections that agreed to permessage-deflate since start.");
    sample(out, "wsgw_connections_compressed_total", "", load(m.connections_compressed));

    header(out, "wsgw_messages_received_total", "counter", "Valid messages received from Redis.");
    for (auto kind : {ChannelKind::user, ChannelKind::project})
        for (std::size_t t = 0; t < kMessageTypeCount; ++t)
            for (std::size_t f = 0; f < kPayloadFormatCount; ++f) {
                auto type = static_cast<MessageType>(t);
                auto format = static_cast<PayloadFormat>(f);
                bool progress = type == MessageType::project_progress || type == MessageType::project_completed;
                if (type == MessageType::ping || type == MessageType::pong) continue;
                if (progress == (format == PayloadFormat::plain)) continue;  // impossible combinations
                std::string labels = "kind=\"" + std::string(to_string(kind)) + "\",type=\"" +
                                     std::string(to_string(type)) + "\",format=\"" + std::string(to_string(format)) + "\"";
                sample(out, "wsgw_messages_received_total", labels, load(m.received[received_index(kind, type, format)]));
            }

    header(out, "wsgw_messages_dropped_total", "counter", "Messages from Redis dropped, by reason.");
    labelled(out, "wsgw_messages_dropped_total", "reason", m.dropped,
             [](std::size_t i) { return to_string(static_cast<DropReason>(i)); });
    header(out, "wsgw_messages_kept_raw_total", "counter",
           "Messages for users with no socket here, kept raw instead of validated on arrival.");
    sample(out, "wsgw_messages_kept_raw_total", "", load(m.messages_kept_raw));
    header(out, "wsgw_messages_validated_late_total", "counter",
           "Messages kept raw, validated when a socket of their user registered or resumed on an I/O thread.");
    sample(out, "wsgw_messages_validated_late_total", "", load(m.messages_kept_raw_validated));
    header(out, "wsgw_deliveries_total", "counter", "Frames queued to sockets.");
    sample(out, "wsgw_deliveries_total", "", load(m.deliveries));
    header(out, "wsgw_deliveries_coalesced_total", "counter",
           "Queued project_progress frames replaced by a newer one for the same project.");
    sample(out, "wsgw_deliveries_coalesced_total", "", load(m.coalesced));
    header(out, "wsgw_disconnects_total", "counter", "WebSocket connections closed, by reason.");
    labelled(out, "wsgw_disconnects_total", "reason", m.disconnects,
             [](std::size_t i) { return to_string(static_cast<DisconnectReason>(i)); });
    header(out, "wsgw_auth_failures_total", "counter", "Upgrade requests refused with 401, by reason.");
    labelled(out, "wsgw_auth_failures_total", "reason", m.auth_failures,
             [](std::size_t i) { return to_string(static_cast<AuthFailure>(i)); });
    header(out, "wsgw_http_rejections_total", "counter",
           "HTTP requests refused (other than 401), and failed TLS handshakes, by reason.");
    labelled(out, "wsgw_http_rejections_total", "reason", m.http_rejections,
             [](std::size_t i) { return to_string(static_cast<HttpRejection>(i)); });
    header(out, "wsgw_client_messages_total", "counter", "Text frames received from clients.");
    sample(out, "wsgw_client_messages_total", "kind=\"ping\"", load(m.client_pings));
    sample(out, "wsgw_client_messages_total", "kind=\"ignored\"", load(m.client_ignored));

    header(out, "wsgw_redis_connected", "gauge", "1 while the Redis connection is up.");
    sample(out, "wsgw_redis_connected", "", static_cast<std::uint64_t>(m.redis_connected.load()));
    header(out, "wsgw_redis_subscribed", "gauge", "1 while both pattern subscriptions are confirmed.");
    sample(out, "wsgw_redis_subscribed", "", static_cast<std::uint64_t>(m.redis_subscribed.load()));
    header(out, "wsgw_redis_connects_total", "counter", "Redis subscriptions established (connected and subscribed).");
    sample(out, "wsgw_redis_connects_total", "", load(m.redis_connects));
    header(out, "wsgw_redis_disconnects_total", "counter", "Established Redis subscriptions lost.");
    sample(out, "wsgw_redis_disconnects_total", "", load(m.redis_disconnects));
    header(out, "wsgw_redis_connect_attempts_total", "counter", "Redis connection attempts, first one included.");
    sample(out, "wsgw_redis_connect_attempts_total", "", load(m.redis_connect_attempts));
    header(out, "wsgw_redis_sentinel_switches_total", "counter", "+switch-master notices for the configured master.");
    sample(out, "wsgw_redis_sentinel_switches_total", "", load(m.redis_sentinel_switches));
    header(out, "wsgw_redis_probes_total", "counter", "Subscription liveness probes, by result.");
    sample(out, "wsgw_redis_probes_total", "result=\"ok\"", load(m.redis_probes_ok));
    sample(out, "wsgw_redis_probes_total", "result=\"timeout\"", load(m.redis_probe_failures));
    header(out, "wsgw_redis_probe_rtt_seconds", "gauge", "Round trip of the last successful liveness probe.");
    {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(m.redis_probe_rtt_us.load(std::memory_order_relaxed)) / 1e6);
        out.append("wsgw_redis_probe_rtt_seconds ").append(buf).append("\n");
    }
    header(out, "wsgw_redis_node", "gauge", "1 for the Redis node subscribed to (host:port); absent while none.");
    if (auto node = m.redis_node(); !node.empty()) sample(out, "wsgw_redis_node", "node=\"" + node + "\"", 1);
    header(out, "wsgw_redis_node_switches_total", "counter", "Redis Cluster: moves of the subscription to another node.");
    sample(out, "wsgw_redis_node_switches_total", "", load(m.redis_node_switches));
    header(out, "wsgw_redis_topology_refreshes_total", "counter", "Redis Cluster: topology reads (CLUSTER NODES), by result.");
    sample(out, "wsgw_redis_topology_refreshes_total", "result=\"ok\"", load(m.redis_topology_refreshes_ok));
    sample(out, "wsgw_redis_topology_refreshes_total", "result=\"failed\"", load(m.redis_topology_refreshes_failed));
    header(out, "wsgw_redis_cluster_nodes", "gauge", "Redis Cluster: healthy nodes in the last topology read.");
    sample(out, "wsgw_redis_cluster_nodes", "", m.redis_cluster_nodes.load(std::memory_order_relaxed));
    header(out, "wsgw_replayed_messages_total", "counter", "Cached latest-state messages sent to sockets as they connected.");
    sample(out, "wsgw_replayed_messages_total", "", load(m.replayed));

    header(out, "wsgw_control_commands_total", "counter", "Control-channel commands acted on, by action.");
    labelled(out, "wsgw_control_commands_total", "action", m.control_commands,
             [](std::size_t i) { return to_string(static_cast<ControlAction>(i)); });
    header(out, "wsgw_control_commands_rejected_total", "counter",
           "Control-channel messages refused (never acted on), by reason.");
    labelled(out, "wsgw_control_commands_rejected_total", "reason", m.control_rejected,
             [](std::size_t i) { return to_string(static_cast<ControlError>(i)); });
    header(out, "wsgw_revoked_tokens", "gauge", "Revoked token ids held in memory.");
    sample(out, "wsgw_revoked_tokens", "", m.revoked_tokens.load(std::memory_order_relaxed));
    header(out, "wsgw_revoked_tokens_evicted_total", "counter",
           "Revoked token ids dropped from memory because max_revoked_tokens was reached.");
    sample(out, "wsgw_revoked_tokens_evicted_total", "", m.revoked_tokens_evicted.load(std::memory_order_relaxed));
    header(out, "wsgw_connections_pending", "gauge",
           "Connections that have not finished their HTTP request or handshake (bounded by max_pending_connections).");
    sample(out, "wsgw_connections_pending", "",
           static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.connections_pending.load(std::memory_order_relaxed))));
    header(out, "wsgw_tls_reloads_total", "counter", "Reloads of the TLS certificate and key on SIGHUP, by result.");
    sample(out, "wsgw_tls_reloads_total", "result=\"ok\"", load(m.tls_reloads_ok));
    sample(out, "wsgw_tls_reloads_total", "result=\"failed\"", load(m.tls_reloads_failed));
    header(out, "wsgw_revocation_loads_total", "counter", "Loads of the revocation list from Redis, by result.");
    sample(out, "wsgw_revocation_loads_total", "result=\"ok\"", load(m.revocation_loads_ok));
    sample(out, "wsgw_revocation_loads_total", "result=\"failed\"", load(m.revocation_loads_failed));

    header(out, "wsgw_resume_requests_total", "counter", "Connections that asked to resume (last_id), by outcome.");
    sample(out, "wsgw_resume_requests_total", "outcome=\"hit\"", load(m.resume_hits));
    sample(out, "wsgw_resume_requests_total", "outcome=\"miss\"", load(m.resume_misses));
    header(out, "wsgw_resumed_messages_total", "counter", "Messages sent from the resume window to resuming sockets.");
    sample(out, "wsgw_resumed_messages_total", "", load(m.resumed_messages));
    header(out, "wsgw_resume_retained_messages", "gauge", "Messages held in the resume window.");
    sample(out, "wsgw_resume_retained_messages", "",
           static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.resume_retained_messages.load(std::memory_order_relaxed))));
    header(out, "wsgw_resume_retained_bytes", "gauge", "Bytes counted by the resume window (frames and bookkeeping).");
    sample(out, "wsgw_resume_retained_bytes", "",
           static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.resume_retained_bytes.load(std::memory_order_relaxed))));
    header(out, "wsgw_resume_evictions_total", "counter",
           "Messages dropped from a resume window before their time by a count or byte bound.");
    sample(out, "wsgw_resume_evictions_total", "", load(m.resume_evictions));

    if (m.sharded_enabled.load(std::memory_order_relaxed)) {
        header(out, "wsgw_shard_subscriptions", "gauge",
               "Sharded mode: users whose shard channel this instance is subscribed to.");
        sample(out, "wsgw_shard_subscriptions", "",
               static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.shard_subscriptions.load(std::memory_order_relaxed))));
        header(out, "wsgw_shard_subscribe_commands_total", "counter", "Sharded mode: SSUBSCRIBE commands sent.");
        sample(out, "wsgw_shard_subscribe_commands_total", "", load(m.shard_subscribe_commands));
        header(out, "wsgw_shard_unsubscribe_commands_total", "counter", "Sharded mode: SUNSUBSCRIBE commands sent.");
        sample(out, "wsgw_shard_unsubscribe_commands_total", "", load(m.shard_unsubscribe_commands));
        header(out, "wsgw_stream_reads_total", "counter", "Sharded mode: reads of a user's stream, by outcome.");
        labelled(out, "wsgw_stream_reads_total", "result", m.stream_reads,
                 [](std::size_t i) { return to_string(static_cast<StreamReadResult>(i)); });
        header(out, "wsgw_function_loads_total", "counter", "Sharded mode: loads of the wsgw function library, by result.");
        sample(out, "wsgw_function_loads_total", "result=\"ok\"", load(m.function_loads_ok));
        sample(out, "wsgw_function_loads_total", "result=\"failed\"", load(m.function_loads_failed));
    }
    header(out, "wsgw_auth_reloads_total", "counter", "SIGHUP reloads of the JWT secrets and key files, by result.");
    sample(out, "wsgw_auth_reloads_total", "result=\"ok\"", load(m.auth_reloads_ok));
    sample(out, "wsgw_auth_reloads_total", "result=\"failed\"", load(m.auth_reloads_failed));
    if (m.jwks_enabled.load(std::memory_order_relaxed)) {
        header(out, "wsgw_jwks_fetches_total", "counter", "Fetches of the JSON Web Key Set (jwt_jwks_url), by result.");
        labelled(out, "wsgw_jwks_fetches_total", "result", m.jwks_fetches,
                 [](std::size_t i) { return to_string(static_cast<JwksFetchResult>(i)); });
        header(out, "wsgw_jwks_keys", "gauge", "Keys in the key set in use.");
        sample(out, "wsgw_jwks_keys", "", m.jwks_keys.load(std::memory_order_relaxed));
        // Absent until the first fetch succeeds: a fleet's alert on age then reads "no keys" apart.
        header(out, "wsgw_jwks_age_seconds", "gauge", "Seconds since the key set in use was fetched.");
        if (auto at = m.jwks_loaded_at_ms.load(std::memory_order_relaxed); at != 0) {
            auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now().time_since_epoch())
                              .count();
            sample(out, "wsgw_jwks_age_seconds", "", static_cast<std::uint64_t>(std::max<std::int64_t>(0, now_ms - at) / 1000));
        }
    }
    return out;
}

}  // namespace wsgw
