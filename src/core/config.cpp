#include "wsgw/config.hpp"

#include <charconv>

#include "wsgw/client_address.hpp"
#include "wsgw/origin.hpp"
#include "wsgw/text.hpp"
#include <map>
#include <sstream>

namespace wsgw {

namespace {

template <std::uint64_t Config::*Field, std::uint64_t Min, std::uint64_t Max>
std::optional<std::string> set_uint(Config& c, std::string_view v) {
    auto n = to_uint(trim(v));
    if (!n || *n < Min || *n > Max)
        return "must be an integer from " + std::to_string(Min) + " to " + std::to_string(Max) + " (got \"" +
               std::string(v) + "\")";
    c.*Field = *n;
    return std::nullopt;
}

template <std::uint64_t Config::*Field>
std::string show_uint(const Config& c) {
    return std::to_string(c.*Field);
}

template <std::string Config::*Field>
std::optional<std::string> set_text(Config& c, std::string_view v) {
    c.*Field = std::string(trim(v));
    return std::nullopt;
}

template <std::string Config::*Field>
std::string show_text(const Config& c) {
    return c.*Field;
}

std::optional<std::string> set_secret(Config& c, std::string_view v) {
    // Secrets are taken verbatim: surrounding spaces may be part of them.
    c.jwt_secret = std::string(v);
    return std::nullopt;
}
std::string show_secret(const Config& c) { return c.jwt_secret.empty() ? "(unset)" : "(set)"; }

std::optional<std::string> set_nonempty_claim(Config& c, std::string_view v) {
    if (trim(v).empty()) return std::string("must not be empty");
    c.jwt_user_claim = std::string(trim(v));
    return std::nullopt;
}

std::optional<std::string> set_log_level(Config& c, std::string_view v) {
    v = trim(v);
    for (auto l : {"trace", "debug", "info", "warn", "error", "critical", "off"})
        if (v == l) {
            c.log_level = std::string(v);
            return std::nullopt;
        }
    return "must be one of trace, debug, info, warn, error, critical, off (got \"" + std::string(v) + "\")";
}

std::optional<std::string> set_log_format(Config& c, std::string_view v) {
    v = trim(v);
    if (v != "json" && v != "text") return "must be json or text (got \"" + std::string(v) + "\")";
    c.log_format = std::string(v);
    return std::nullopt;
}

std::optional<std::string> set_pubsub_mode(Config& c, std::string_view v) {
    v = trim(v);
    if (v != "patterns" && v != "sharded") return "must be patterns or sharded (got \"" + std::string(v) + "\")";
    c.redis_pubsub_mode = std::string(v);
    return std::nullopt;
}

std::optional<std::string> set_listen(Config& c, std::string_view v) {
    std::string err;
    auto addr = parse_listen(trim(v), err);
    if (!addr) return err;
    c.listen = std::string(trim(v));
    c.listen_address = *addr;
    return std::nullopt;
}

std::optional<std::string> set_internal_listen(Config& c, std::string_view v) {
    v = trim(v);
    c.internal_listen_address.reset();
    c.internal_listen = std::string(v);
    if (v.empty()) return std::nullopt;
    std::string err;
    auto addr = parse_listen(v, err);
    if (!addr) return err;
    c.internal_listen_address = *addr;
    return std::nullopt;
}

std::optional<std::string> set_redis_url(Config& c, std::string_view v) {
    std::string err;
    auto ep = parse_redis_url(trim(v), err);
    if (!ep) return err;
    c.redis_url = std::string(trim(v));
    c.redis = *ep;
    return std::nullopt;
}

std::optional<std::string> set_jwt_algorithm(Config& c, std::string_view v) {
    v = trim(v);
    if (v != "HS256" && v != "RS256" && v != "ES256") return "must be HS256, RS256 or ES256 (got \"" + std::string(v) + "\")";
    c.jwt_algorithm = std::string(v);
    return std::nullopt;
}

std::optional<std::string> set_origins(Config& c, std::string_view v) {
    std::string err;
    if (!OriginPolicy::parse(v, err)) return err;
    c.allowed_origins = std::string(trim(v));
    return std::nullopt;
}

std::optional<std::string> set_proxies(Config& c, std::string_view v) {
    std::string err;
    if (!TrustedProxies::parse(v, err)) return err;
    c.trusted_proxies = std::string(trim(v));
    return std::nullopt;
}

// A switch: true/false, on/off, yes/no or 1/0.
template <bool Config::*Flag>
std::optional<std::string> set_flag(Config& c, std::string_view v) {
    v = trim(v);
    if (v == "true" || v == "1" || v == "yes" || v == "on") c.*Flag = true;
    else if (v == "false" || v == "0" || v == "no" || v == "off") c.*Flag = false;
    else return "must be true or false, on or off (got \"" + std::string(v) + "\")";
    return std::nullopt;
}
std::string show_demo(const Config& c) { return c.demo_enabled ? "true" : "false"; }
std::string show_compression(const Config& c) { return c.compression ? "on" : "off"; }

// A "host:port,..." list: the text as given, and the endpoints parsed from it.
template <std::string Config::*Text, std::vector<RedisEndpoint> Config::*List>
std::optional<std::string> set_endpoints(Config& c, std::string_view v) {
    std::string err;
    auto list = parse_endpoints(v, err);
    if (!list) return err;
    c.*Text = std::string(trim(v));
    c.*List = std::move(*list);
    return std::nullopt;
}

std::optional<std::string> set_instance_id(Config& c, std::string_view v) {
    v = trim(v);
    if (v.size() > 128) return std::string("must be at most 128 characters");
    for (char ch : v)
        if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
            return std::string("must not contain spaces, quotes, backslashes or control characters");
    c.instance_id = std::string(v);
    return std::nullopt;
}

std::optional<std::string> set_sentinel_password(Config& c, std::string_view v) {
    c.redis_sentinel_password = std::string(v);
    return std::nullopt;
}
std::string show_sentinel_password(const Config& c) { return c.redis_sentinel_password.empty() ? "(unset)" : "(set)"; }

std::optional<std::string> set_master_name(Config& c, std::string_view v) {
    if (trim(v).empty()) return std::string("must not be empty");
    c.redis_sentinel_master = std::string(trim(v));
    return std::nullopt;
}

// A Redis channel or key name as the gateway uses it: printable, no spaces, of a sane length.
std::optional<std::string> redis_name_error(std::string_view v) {
    if (v.size() > 256) return std::string("must be at most 256 characters");
    for (char ch : v)
        if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) return std::string("must not contain spaces or control characters");
    return std::nullopt;
}

std::optional<std::string> set_control_channel(Config& c, std::string_view v) {
    v = trim(v);
    if (auto err = redis_name_error(v)) return err;
    // A name the data patterns match would reach the message validator as well.
    if (v.starts_with("user_noti:") || v.starts_with("project:"))
        return "must not start with user_noti: or project: (the message patterns would match it; got \"" +
               std::string(v) + "\")";
    c.control_channel = std::string(v);
    return std::nullopt;
}

std::optional<std::string> set_revocation_key(Config& c, std::string_view v) {
    v = trim(v);
    if (auto err = redis_name_error(v)) return err;
    c.revocation_key = std::string(v);
    return std::nullopt;
}

template <std::string Config::*Field>
std::optional<std::string> set_verbatim(Config& c, std::string_view v) {
    // Secrets are taken verbatim: surrounding spaces may be part of them.
    c.*Field = std::string(v);
    return std::nullopt;
}

template <std::string Config::*Field>
std::string show_set(const Config& c) {
    return (c.*Field).empty() ? "(unset)" : "(set)";
}

std::optional<std::string> set_jwks_url(Config& c, std::string_view v) {
    v = trim(v);
    if (v.empty()) {
        c.jwt_jwks_url.clear();
        c.jwks_url.reset();
        return std::nullopt;
    }
    std::string err;
    auto url = parse_http_url(v, err);
    if (!url) return err;
    c.jwt_jwks_url = std::string(v);
    c.jwks_url = std::move(*url);
    return std::nullopt;
}

// The contents of a mounted secret: one trailing line end (or several) is not part of it.
std::string_view without_trailing_newlines(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// A secret is a few dozen bytes; anything this large is the wrong file, not a secret.
constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;

// Reads the secret named by `key` from `path`; an error names both, never the contents.
std::optional<std::string> read_secret_file(std::string_view key, const std::string& path, const FileReader& read_file,
                                            std::vector<std::string>& errors) {
    auto text = read_file(path);
    if (!text) {
        errors.push_back(std::string(key) + ": cannot read " + path);
        return std::nullopt;
    }
    if (text->size() > kMaxSecretFileBytes) {
        errors.push_back(std::string(key) + ": " + path + " is larger than " + std::to_string(kMaxSecretFileBytes) +
                         " bytes");
        return std::nullopt;
    }
    auto value = without_trailing_newlines(*text);
    if (value.empty()) {
        errors.push_back(std::string(key) + ": " + path + " is empty");
        return std::nullopt;
    }
    return std::string(value);
}

std::string redacted_redis_url(const Config& c) {
    if (c.redis.password.empty()) return c.redis_url;
    std::string out = "redis://";
    if (!c.redis.username.empty()) out += c.redis.username;
    bool v6 = c.redis.host.find(':') != std::string::npos;
    out += ":***@" + (v6 ? "[" + c.redis.host + "]" : c.redis.host) + ":" + std::to_string(c.redis.port) + "/" +
           std::to_string(c.redis.db);
    return out;
}

constexpr std::uint64_t kMiB = 1024 * 1024;

const std::vector<ConfigOption> kOptions = {
    {"listen", "Address and port for HTTP and WebSocket (host:port, [v6]:port).", false, set_listen,
     show_text<&Config::listen>},
    {"redis_url", "Redis to subscribe to: redis://[[user]:password@]host[:port][/db] or unix:///path.", false,
     set_redis_url, redacted_redis_url},
    {"jwt_secret", "HS256 secret that signs client tokens. Required with HS256.", true, set_secret, show_secret},
    {"jwt_user_claim", "Token claim holding the user id.", false, set_nonempty_claim,
     show_text<&Config::jwt_user_claim>},
    {"jwt_leeway_s", "Clock skew tolerated on exp and nbf, in seconds.", false,
     set_uint<&Config::jwt_leeway_s, 0, 300>, show_uint<&Config::jwt_leeway_s>},
    {"jwt_cookie", "Cookie that may carry the token (empty: cookies are not read).", false,
     set_text<&Config::jwt_cookie>, show_text<&Config::jwt_cookie>},
    {"log_level", "trace, debug, info, warn, error, critical or off.", false, set_log_level,
     show_text<&Config::log_level>},
    {"log_format", "json (one object per line) or text.", false, set_log_format, show_text<&Config::log_format>},
    {"threads", "I/O threads (default: the CPUs this process may use: the cgroup's CPU limit, rounded up, else the number of cores).", false, set_uint<&Config::threads, 1, 256>,
     show_uint<&Config::threads>},
    {"max_message_bytes", "Largest message accepted from Redis; larger ones are dropped.", false,
     set_uint<&Config::max_message_bytes, 256, 16 * kMiB>, show_uint<&Config::max_message_bytes>},
    {"max_inbound_frame_bytes", "Largest frame accepted from a client; larger ones close the socket (1009).", false,
     set_uint<&Config::max_inbound_frame_bytes, 64, kMiB>, show_uint<&Config::max_inbound_frame_bytes>},
    {"max_http_request_bytes", "Largest HTTP request head (request line and headers).", false,
     set_uint<&Config::max_http_request_bytes, 1024, kMiB>, show_uint<&Config::max_http_request_bytes>},
    {"handshake_timeout_ms", "Time allowed for the HTTP request and WebSocket handshake.", false,
     set_uint<&Config::handshake_timeout_ms, 100, 120'000>, show_uint<&Config::handshake_timeout_ms>},
    {"ws_ping_interval_ms",
     "A WebSocket ping is sent after this long without traffic; a peer silent for twice as long is closed.", false,
     set_uint<&Config::ws_ping_interval_ms, 500, 300'000>, show_uint<&Config::ws_ping_interval_ms>},
    {"send_queue_max_messages", "Messages queued for one socket before it is closed as a slow consumer.", false,
     set_uint<&Config::send_queue_max_messages, 1, 1'000'000>, show_uint<&Config::send_queue_max_messages>},
    {"send_queue_max_bytes", "Bytes queued for one socket before it is closed as a slow consumer.", false,
     set_uint<&Config::send_queue_max_bytes, 1024, 1024 * kMiB>, show_uint<&Config::send_queue_max_bytes>},
    {"redis_connect_timeout_ms", "Time allowed to connect, authenticate and subscribe to Redis.", false,
     set_uint<&Config::redis_connect_timeout_ms, 100, 60'000>, show_uint<&Config::redis_connect_timeout_ms>},
    {"redis_reconnect_min_ms", "First delay before reconnecting to Redis (doubles per attempt, with jitter).",
     false, set_uint<&Config::redis_reconnect_min_ms, 10, 60'000>, show_uint<&Config::redis_reconnect_min_ms>},
    {"redis_reconnect_max_ms", "Longest delay between Redis reconnect attempts.", false,
     set_uint<&Config::redis_reconnect_max_ms, 10, 300'000>, show_uint<&Config::redis_reconnect_max_ms>},
    {"jwt_algorithm", "Token signature algorithm: HS256 (jwt_secret), RS256 or ES256 (jwt_public_key_file).", false,
     set_jwt_algorithm, show_text<&Config::jwt_algorithm>},
    {"jwt_public_key_file", "PEM public key that verifies RS256/ES256 tokens.", false,
     set_text<&Config::jwt_public_key_file>, show_text<&Config::jwt_public_key_file>},
    {"allowed_origins",
     "Comma-separated origins allowed to open sockets (https://app.example.com, https://*.example.com); empty: no check.",
     false, set_origins, show_text<&Config::allowed_origins>},
    {"trusted_proxies",
     "Comma-separated proxy addresses/CIDRs whose X-Forwarded-For and X-Real-IP are believed; empty: none.", false,
     set_proxies, show_text<&Config::trusted_proxies>},
    {"max_connections", "WebSocket connections the process accepts in all; more get HTTP 503.", false,
     set_uint<&Config::max_connections, 1, 10'000'000>, show_uint<&Config::max_connections>},
    {"max_connections_per_user", "WebSocket connections one user may hold; more get HTTP 429.", false,
     set_uint<&Config::max_connections_per_user, 1, 1'000'000>, show_uint<&Config::max_connections_per_user>},
    {"max_connections_per_address", "WebSocket connections one client address may hold; more get HTTP 429.", false,
     set_uint<&Config::max_connections_per_address, 1, 10'000'000>, show_uint<&Config::max_connections_per_address>},
    {"max_pending_connections",
     "Connections that have not finished their HTTP request or handshake (not yet authenticated); more are closed at once.",
     false, set_uint<&Config::max_pending_connections, 1, 10'000'000>, show_uint<&Config::max_pending_connections>},
    {"max_requests_per_connection",
     "HTTP requests one keep-alive connection may make without upgrading (probes, metrics); the last answer closes it.",
     false, set_uint<&Config::max_requests_per_connection, 1, 1'000'000>, show_uint<&Config::max_requests_per_connection>},
    {"internal_listen",
     "Address and port of a second, plain-HTTP listener for /metrics, /healthz and /readyz (e.g. 127.0.0.1:9090 or a pod port); when set, the public listener answers 404 for /metrics. Empty: everything on listen.",
     false, set_internal_listen, show_text<&Config::internal_listen>},
    {"client_messages_per_second", "Sustained rate of frames a client may send; faster closes the socket (1008).",
     false, set_uint<&Config::client_messages_per_second, 1, 100'000>, show_uint<&Config::client_messages_per_second>},
    {"client_messages_burst", "Frames a client may send at once before the rate applies.", false,
     set_uint<&Config::client_messages_burst, 1, 100'000>, show_uint<&Config::client_messages_burst>},
    {"tls_cert_file", "PEM certificate chain; with tls_key_file the port serves wss:// and https:// only.", false,
     set_text<&Config::tls_cert_file>, show_text<&Config::tls_cert_file>},
    {"tls_key_file", "PEM private key for tls_cert_file. Reloaded with the certificate on SIGHUP.", false,
     set_text<&Config::tls_key_file>, show_text<&Config::tls_key_file>},
    {"redis_sentinels",
     "Comma-separated Redis Sentinel addresses (host:port); when set, the master is resolved through them.", false,
     set_endpoints<&Config::redis_sentinels, &Config::sentinels>, show_text<&Config::redis_sentinels>},
    {"redis_sentinel_master", "Master name the sentinels monitor.", false, set_master_name,
     show_text<&Config::redis_sentinel_master>},
    {"redis_sentinel_password", "Password of the sentinels (the data nodes use redis_url's).", true,
     set_sentinel_password, show_sentinel_password},
    {"redis_probe_interval_ms",
     "Interval of the subscription liveness probe (a publish the subscription must receive); 0 disables it.", false,
     set_uint<&Config::redis_probe_interval_ms, 0, 3'600'000>, show_uint<&Config::redis_probe_interval_ms>},
    {"redis_probe_timeout_ms", "A probe not received within this long counts as a lost subscription.", false,
     set_uint<&Config::redis_probe_timeout_ms, 50, 600'000>, show_uint<&Config::redis_probe_timeout_ms>},
    {"replay_max_entries",
     "Latest progress messages kept per (user, project) for replay to sockets that connect; 0 disables replay.",
     false, set_uint<&Config::replay_max_entries, 0, 100'000'000>, show_uint<&Config::replay_max_entries>},
    {"replay_ttl_s", "How long a project's latest progress stays replayable.", false,
     set_uint<&Config::replay_ttl_s, 1, 30 * 86'400>, show_uint<&Config::replay_ttl_s>},
    {"replay_completed_ttl_s", "How long a project_completed stays replayable.", false,
     set_uint<&Config::replay_completed_ttl_s, 1, 30 * 86'400>, show_uint<&Config::replay_completed_ttl_s>},
    {"demo_enabled", "Serve the browser demo page at /demo (for development; off in production).", false,
     set_flag<&Config::demo_enabled>, show_demo},
    {"shutdown_grace_ms", "On SIGTERM: time to keep delivering (readyz 503, no new sockets) before closing sockets.",
     false, set_uint<&Config::shutdown_grace_ms, 0, 3'600'000>, show_uint<&Config::shutdown_grace_ms>},
    {"shutdown_timeout_ms", "On SIGTERM, after the grace period: time allowed for close handshakes before exit.",
     false, set_uint<&Config::shutdown_timeout_ms, 0, 600'000>, show_uint<&Config::shutdown_timeout_ms>},
    {"control_channel",
     "Redis channel of disconnect/revoke commands for every instance; empty: no commands, no revocation.", false,
     set_control_channel, show_text<&Config::control_channel>},
    {"revocation_key",
     "Redis sorted set of revoked token ids (score: refused until, unix s), loaded on every subscribe; empty: not kept in Redis.",
     false, set_revocation_key, show_text<&Config::revocation_key>},
    {"max_revoked_tokens", "Revoked token ids held in memory; past it, the one that ends first is evicted.", false,
     set_uint<&Config::max_revoked_tokens, 1, 10'000'000>, show_uint<&Config::max_revoked_tokens>},
    {"resume_window_s", "How long recent messages are kept per user for clients that resume with last_id; 0 turns resume off.",
     false, set_uint<&Config::resume_window_s, 0, 86'400>, show_uint<&Config::resume_window_s>},
    {"resume_max_messages_per_user", "Recent messages kept per user for resume (a progress replaced by a newer one of its project does not count); 0 turns resume off.",
     false, set_uint<&Config::resume_max_messages_per_user, 0, 100'000>, show_uint<&Config::resume_max_messages_per_user>},
    {"resume_max_bytes", "Bytes the resume window may hold in all (frames and bookkeeping); the oldest messages go first; 0 turns resume off.",
     false, set_uint<&Config::resume_max_bytes, 0, 64 * 1024 * kMiB>, show_uint<&Config::resume_max_bytes>},
    {"resume_wait_ms", "How long a resuming client waits for a last_id this instance has not received yet (it may lag the instance the client left) before it gets a resync.",
     false, set_uint<&Config::resume_wait_ms, 0, 10'000>, show_uint<&Config::resume_wait_ms>},
    {"compression",
     "Negotiate permessage-deflate with browsers that offer it (on/off): each message is compressed once and the compressed frame is shared by every socket that negotiated it.",
     false, set_flag<&Config::compression>, show_compression},
    {"compression_min_bytes", "Messages smaller than this go out uncompressed, even to sockets that negotiated compression.",
     false, set_uint<&Config::compression_min_bytes, 0, 64 * kMiB>, show_uint<&Config::compression_min_bytes>},
    {"redis_cluster_nodes",
     "Comma-separated seed nodes of a Redis Cluster (host:port); when set, the gateway discovers the cluster and subscribes to one node of it, with redis_url's password.",
     false, set_endpoints<&Config::redis_cluster_nodes, &Config::cluster_seeds>, show_text<&Config::redis_cluster_nodes>},
    {"redis_cluster_refresh_ms", "Interval of the cluster topology refresh (also refreshed on every reconnect).", false,
     set_uint<&Config::redis_cluster_refresh_ms, 100, 3'600'000>, show_uint<&Config::redis_cluster_refresh_ms>},
    {"redis_pubsub_mode",
     "patterns (publishers PUBLISH to user_noti:* and project:*:*; every instance receives every message) or sharded (publishers FCALL wsgw_publish; each instance receives only its own users' messages and resumes from per-user Redis streams; Redis 7).",
     false, set_pubsub_mode, show_text<&Config::redis_pubsub_mode>},
    {"redis_unsubscribe_delay_ms",
     "Sharded mode: how long a user's shard channel stays subscribed after the user's last socket on this instance closed, so reconnects do not churn subscriptions.",
     false, set_uint<&Config::redis_unsubscribe_delay_ms, 0, 3'600'000>, show_uint<&Config::redis_unsubscribe_delay_ms>},
    {"instance_id",
     "This instance's name in logs and in the spread of instances over cluster nodes (e.g. the pod name); empty: random per start.",
     false, set_instance_id, show_text<&Config::instance_id>},
    {"jwt_audience", "When set, a token's aud (a string or an array of strings) must contain this value.", false,
     set_text<&Config::jwt_audience>, show_text<&Config::jwt_audience>},
    {"jwt_issuer", "When set, a token's iss must equal this value.", false, set_text<&Config::jwt_issuer>,
     show_text<&Config::jwt_issuer>},
    {"jwt_jwks_url",
     "http(s) URL of a JSON Web Key Set (an identity provider's RS256/ES256 keys, chosen by the token's kid); replaces jwt_secret and jwt_public_key_file.",
     false, set_jwks_url, show_text<&Config::jwt_jwks_url>},
    {"jwt_jwks_refresh_s", "Interval of the key set refresh (a token with an unknown kid also triggers one, at most every 5 s).",
     false, set_uint<&Config::jwt_jwks_refresh_s, 1, 86'400>, show_uint<&Config::jwt_jwks_refresh_s>},
    {"jwt_secret_previous", "Former HS256 secret, still accepted while tokens signed with it are in use (rotation).",
     true, set_verbatim<&Config::jwt_secret_previous>, show_set<&Config::jwt_secret_previous>},
    {"jwt_secret_file", "File holding jwt_secret (a trailing newline is trimmed); reloaded on SIGHUP.", false,
     set_text<&Config::jwt_secret_file>, show_text<&Config::jwt_secret_file>},
    {"jwt_secret_previous_file", "File holding jwt_secret_previous; reloaded on SIGHUP.", false,
     set_text<&Config::jwt_secret_previous_file>, show_text<&Config::jwt_secret_previous_file>},
    {"redis_password_file", "File holding the Redis password (overrides the one in redis_url; a trailing newline is trimmed).",
     false, set_text<&Config::redis_password_file>, show_text<&Config::redis_password_file>},
};

const ConfigOption* find_option(std::string_view key) {
    for (const auto& o : kOptions)
        if (o.key == key) return &o;
    return nullptr;
}

void apply(ConfigLoad& load, const ConfigOption& opt, std::string_view value, const std::string& source) {
    if (auto err = opt.apply(load.config, value)) {
        // A secret's value never appears in an error.
        load.errors.push_back(source + ": " + (opt.secret ? std::string("invalid value") : *err));
    }
}

// The value of a `key = value` line: a "quoted" value is taken as it stands (so it may hold '#'
// or spaces at its ends); otherwise a '#' that starts the value or follows white space starts a
// comment. nullopt when text follows a closing quote.
std::optional<std::string_view> line_value(std::string_view raw) {
    raw = trim(raw);
    if (!raw.empty() && raw.front() == '"') {
        auto close = raw.find('"', 1);
        if (close == std::string_view::npos) return raw;  // a lone quote is part of the value
        auto rest = trim(raw.substr(close + 1));
        if (!rest.empty() && rest.front() != '#') return std::nullopt;
        return raw.substr(1, close - 1);
    }
    for (std::size_t i = 0; i < raw.size(); ++i)
        if (raw[i] == '#' && (i == 0 || raw[i - 1] == ' ' || raw[i - 1] == '\t')) return trim(raw.substr(0, i));
    return raw;
}

void apply_file(ConfigLoad& load, const std::string& path, const std::string& text) {
    std::istringstream in(text);
    std::string line;
    int lineno = 0;
    std::map<std::string, int, std::less<>> seen;  // key -> the line that set it
    while (std::getline(in, line)) {
        ++lineno;
        std::string_view l = trim(line);
        if (l.empty() || l.front() == '#') continue;
        std::string where = path + ":" + std::to_string(lineno);
        auto eq = l.find('=');
        if (eq == std::string_view::npos) {
            load.errors.push_back(where + ": expected 'key = value'");
            continue;
        }
        auto key = trim(l.substr(0, eq));
        auto value = line_value(l.substr(eq + 1));
        if (!value) {
            load.errors.push_back(where + ": " + std::string(key) + ": text after the closing quote (a comment starts with #)");
            continue;
        }
        const auto* opt = find_option(key);
        if (!opt) {
            load.errors.push_back(where + ": unknown key '" + std::string(key) + "'");
            continue;
        }
        // A key given twice is a mistake whichever line was meant: neither wins silently.
        if (auto [it, fresh] = seen.try_emplace(std::string(key), lineno); !fresh) {
            load.errors.push_back(where + ": " + std::string(key) + " is set twice, on lines " + std::to_string(it->second) +
                                  " and " + std::to_string(lineno));
            continue;
        }
        apply(load, *opt, *value, where + ": " + std::string(key));
    }
}

}  // namespace

const std::vector<ConfigOption>& config_options() { return kOptions; }

std::string env_name(std::string_view key) {
    std::string out = "WSGW_";
    for (char c : key) out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    return out;
}

std::string flag_name(std::string_view key) {
    std::string out = "--";
    for (char c : key) out.push_back(c == '_' ? '-' : c);
    return out;
}

ConfigLoad load_config(const std::vector<std::string>& args, const EnvLookup& env, const FileReader& read_file,
                       unsigned hardware_threads) {
    ConfigLoad load;
    load.config.threads = hardware_threads == 0 ? 1 : hardware_threads;
    // Derived fields start consistent with the defaults.
    std::string ignored;
    load.config.listen_address = *parse_listen(load.config.listen, ignored);
    load.config.redis = *parse_redis_url(load.config.redis_url, ignored);

    // Flags are split first: --config must be known before the file is read, and the file
    // and the environment must be applied before flags override them.
    std::vector<std::pair<const ConfigOption*, std::string>> flags;
    std::optional<std::string> config_path = env("WSGW_CONFIG");
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg == "--help" || arg == "-h") {
            load.show_help = true;
            continue;
        }
        if (arg == "--version" || arg == "-V") {
            load.show_version = true;
            continue;
        }
        if (arg == "--check-config") {
            load.check_only = true;
            continue;
        }
        if (!arg.starts_with("--")) {
            load.errors.push_back("unexpected argument '" + std::string(arg) + "' (see --help)");
            continue;
        }
        std::string name(arg.substr(2));
        std::optional<std::string> value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        }
        for (auto& ch : name)
            if (ch == '-') ch = '_';
        const ConfigOption* opt = name == "config" ? nullptr : find_option(name);
        if (name != "config" && !opt) {
            load.errors.push_back("unknown flag --" + std::string(arg.substr(2, arg.find('=') - 2)) + " (see --help)");
            continue;
        }
        if (!value) {
            if (i + 1 >= args.size()) {
                load.errors.push_back(flag_name(name) + ": needs a value");
                continue;
            }
            value = args[++i];
        }
        if (!opt)
            config_path = *value;
        else
            flags.emplace_back(opt, *value);
    }
    if (load.show_help || load.show_version) return load;

    if (config_path) {
        auto text = read_file(*config_path);
        if (!text)
            load.errors.push_back("--config: cannot read " + *config_path);
        else
            apply_file(load, *config_path, *text);
    }
    for (const auto& opt : kOptions) {
        auto name = env_name(opt.key);
        if (auto v = env(name)) apply(load, opt, *v, name);
    }
    for (const auto& [opt, value] : flags) apply(load, *opt, value, flag_name(opt->key));

    Config& c = load.config;
    if (!c.jwt_secret.empty() && !c.jwt_secret_file.empty())
        load.errors.push_back("jwt_secret/jwt_secret_file: set one, not both");
    if (!c.jwt_secret_previous.empty() && !c.jwt_secret_previous_file.empty())
        load.errors.push_back("jwt_secret_previous/jwt_secret_previous_file: set one, not both");
    const bool jwks = c.jwks_url.has_value();
    if (jwks && (!c.jwt_secret.empty() || !c.jwt_secret_file.empty() || !c.jwt_public_key_file.empty()))
        load.errors.push_back("jwt_jwks_url: set either jwt_jwks_url or jwt_secret/jwt_secret_file/jwt_public_key_file, "
                              "not both (the key set holds every key tokens are verified with)");
    if ((jwks || c.jwt_algorithm != "HS256") && (!c.jwt_secret_previous.empty() || !c.jwt_secret_previous_file.empty()))
        load.errors.push_back("jwt_secret_previous: applies to HS256 secrets only, not to public keys or a key set");
    if (!jwks && c.jwt_algorithm != "HS256" && c.jwt_public_key_file.empty())
        load.errors.push_back("WSGW_JWT_PUBLIC_KEY_FILE: is required when jwt_algorithm is " + c.jwt_algorithm);
    if (!jwks && c.jwt_algorithm == "HS256" && c.jwt_secret.empty() && c.jwt_secret_file.empty())
        load.errors.push_back("WSGW_JWT_SECRET: is required (set jwt_secret or jwt_secret_file in the file, the "
                              "env var, or the flag) unless jwt_jwks_url is set; without it no client could be "
                              "authenticated");
    auto file_errors = load_auth_files(c, read_file);
    load.errors.insert(load.errors.end(), file_errors.begin(), file_errors.end());
    if (!c.redis_password_file.empty()) {
        if (auto password = read_secret_file("redis_password_file", c.redis_password_file, read_file, load.errors))
            c.redis.password = std::move(*password);
    }
    if (c.tls_cert_file.empty() != c.tls_key_file.empty())
        load.errors.push_back("WSGW_TLS_CERT_FILE/WSGW_TLS_KEY_FILE: set both or neither");
    if (c.internal_listen_address && c.internal_listen_address->port == c.listen_address.port &&
        (c.internal_listen_address->host == c.listen_address.host || c.listen_address.host == "0.0.0.0" ||
         c.listen_address.host == "::" || c.internal_listen_address->host == "0.0.0.0" ||
         c.internal_listen_address->host == "::"))
        load.errors.push_back("internal_listen: must not be the public listen address (" + c.listen + ")");
    for (auto& sentinel : c.sentinels) sentinel.password = c.redis_sentinel_password;
    if (!c.cluster_seeds.empty() && !c.sentinels.empty())
        load.errors.push_back("redis_cluster_nodes: set either redis_cluster_nodes or redis_sentinels, not both");
    if (!c.cluster_seeds.empty() && c.redis.unix_socket)
        load.errors.push_back("redis_cluster_nodes: redis_url must be redis://, not a unix socket, with a cluster");
    if (!c.cluster_seeds.empty() && c.redis.db != 0)
        load.errors.push_back("redis_cluster_nodes: a Redis Cluster has only database 0 (redis_url names db " +
                              std::to_string(c.redis.db) + ")");
    for (auto& seed : c.cluster_seeds) {
        seed.username = c.redis.username;
        seed.password = c.redis.password;
    }
    if (c.client_messages_burst < 1)
        load.errors.push_back("client_messages_burst: must be at least 1");
    if (c.redis_reconnect_min_ms > c.redis_reconnect_max_ms)
        load.errors.push_back("redis_reconnect_min_ms: must not exceed redis_reconnect_max_ms");
    return load;
}

std::vector<std::string> load_auth_files(Config& c, const FileReader& read_file) {
    std::vector<std::string> errors;
    if (!c.jwt_secret_file.empty()) {
        if (auto secret = read_secret_file("jwt_secret_file", c.jwt_secret_file, read_file, errors))
            c.jwt_secret = std::move(*secret);
    }
    if (!c.jwt_secret_previous_file.empty()) {
        if (auto secret = read_secret_file("jwt_secret_previous_file", c.jwt_secret_previous_file, read_file, errors))
            c.jwt_secret_previous = std::move(*secret);
    }
    if (!c.jwks_url && c.jwt_algorithm != "HS256" && !c.jwt_public_key_file.empty()) {
        if (auto key = read_file(c.jwt_public_key_file);
            !key || key->find("-----BEGIN PUBLIC KEY-----") == std::string::npos) {
            errors.push_back("WSGW_JWT_PUBLIC_KEY_FILE: cannot read a PEM public key from " + c.jwt_public_key_file);
        } else {
            c.jwt_public_key = *key;
        }
    }
    return errors;
}

std::vector<std::pair<std::string, std::string>> describe(const Config& config) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& opt : kOptions) out.emplace_back(std::string(opt.key), opt.show(config));
    return out;
}

std::string usage_text() {
    std::string out =
        "Usage: ws-gateway [--config PATH] [--KEY VALUE ...]\n"
        "\n"
        "Pushes messages published on Redis (user_noti:{user}, project:{project}:{user}) to the\n"
        "WebSocket clients of each user. Sources, later ones winning: built-in defaults, the\n"
        "config file (--config PATH or WSGW_CONFIG; 'key = value' lines), WSGW_<KEY>\n"
        "environment variables, then flags.\n"
        "\n"
        "  -h, --help       show this help\n"
        "  -V, --version    show the version\n"
        "  --check-config   load and validate the configuration (file, environment, flags, key and\n"
        "                   certificate files), print the effective settings with secrets redacted,\n"
        "                   and exit: 0 when it is valid, 2 when it is not\n"
        "  --config PATH    read a config file\n\n";
    Config defaults;
    defaults.threads = 0;
    for (const auto& opt : kOptions) {
        out += "  " + flag_name(opt.key) + "  (" + env_name(opt.key) + ")\n      " + std::string(opt.help);
        if (!opt.secret) {
            auto d = opt.show(defaults);
            out += " Default: " + (opt.key == "threads" ? std::string("number of cores") : d.empty() ? "(empty)" : d) + ".";
        }
        out += "\n";
    }
    return out;
}

}  // namespace wsgw
