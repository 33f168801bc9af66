#pragma once
// Configuration: built-in defaults, then a config file, then WSGW_* environment variables, then
// command-line flags; the last source to set a key wins. Every key has one entry in the option
// table (config_options()), which drives all three sources, --help and the docs.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wsgw/endpoints.hpp"
#include "wsgw/http_url.hpp"

namespace wsgw {

struct Config {
    std::string listen = "0.0.0.0:8080";
    std::string redis_url = "redis://127.0.0.1:6379/0";
    std::string jwt_secret;
    std::string jwt_user_claim = "sub";
    std::uint64_t jwt_leeway_s = 5;
    std::string jwt_cookie = "wsgw_token";
    std::string log_level = "info";
    std::string log_format = "json";
    std::uint64_t threads = 0;  // 0 until loaded: then the number of cores
    std::uint64_t max_message_bytes = 64 * 1024;
    std::uint64_t max_inbound_frame_bytes = 4096;
    std::uint64_t max_http_request_bytes = 8192;
    std::uint64_t handshake_timeout_ms = 10'000;
    std::uint64_t ws_ping_interval_ms = 25'000;
    std::uint64_t send_queue_max_messages = 1024;
    std::uint64_t send_queue_max_bytes = 1024 * 1024;
    std::uint64_t redis_connect_timeout_ms = 3'000;
    std::uint64_t redis_reconnect_min_ms = 100;
    std::uint64_t redis_reconnect_max_ms = 5'000;
    std::string jwt_algorithm = "HS256";
    std::string jwt_public_key_file;
    std::string allowed_origins;
    std::string trusted_proxies;
    std::uint64_t max_connections = 50'000;
    std::uint64_t max_connections_per_user = 32;
    std::uint64_t max_connections_per_address = 512;
    std::uint64_t max_pending_connections = 4096;
    std::uint64_t max_requests_per_connection = 100;
    std::string internal_listen;  // empty: /metrics is served on `listen`
    std::uint64_t client_messages_per_second = 10;
    std::uint64_t client_messages_burst = 20;
    std::string tls_cert_file;
    std::string tls_key_file;
    std::string redis_sentinels;
    std::string redis_sentinel_master = "mymaster";
    std::string redis_sentinel_password;
    std::uint64_t redis_probe_interval_ms = 5'000;
    std::uint64_t redis_probe_timeout_ms = 3'000;
    std::uint64_t replay_max_entries = 100'000;
    std::uint64_t replay_ttl_s = 3'600;
    std::uint64_t replay_completed_ttl_s = 300;
    bool demo_enabled = false;
    std::uint64_t shutdown_grace_ms = 0;
    std::uint64_t shutdown_timeout_ms = 5'000;
    std::string control_channel = "wsgw:control";
    std::string revocation_key = "wsgw:revoked";
    std::uint64_t max_revoked_tokens = 100'000;
    std::uint64_t resume_window_s = 300;
    std::uint64_t resume_max_messages_per_user = 256;
    std::uint64_t resume_max_bytes = 64 * 1024 * 1024;
    std::uint64_t resume_wait_ms = 500;
    bool compression = true;                 // permessage-deflate, when the client offers it
    std::uint64_t compression_min_bytes = 1024;  // smaller messages go out uncompressed
    std::string redis_cluster_nodes;
    std::uint64_t redis_cluster_refresh_ms = 5'000;
    // patterns: PSUBSCRIBE user_noti:* project:*:*, every instance receives every message.
    // sharded: publishers FCALL wsgw_publish; each instance SSUBSCRIBEs its own users' shard
    // channels and resumes from their streams (wsgw/sharded_contract.hpp). Needs Redis 7.
    std::string redis_pubsub_mode = "patterns";
    std::uint64_t redis_unsubscribe_delay_ms = 10'000;  // sharded: linger after a user's last socket
    std::string instance_id;  // empty: a random one per start
    std::string jwt_audience;
    std::string jwt_issuer;
    std::string jwt_jwks_url;
    std::uint64_t jwt_jwks_refresh_s = 300;
    std::string jwt_secret_previous;
    std::string jwt_secret_file;
    std::string jwt_secret_previous_file;
    std::string redis_password_file;

    // Derived during loading: from `listen`, `redis_url`, and the key file's contents.
    ListenAddress listen_address;
    std::optional<ListenAddress> internal_listen_address;
    RedisEndpoint redis;
    std::string jwt_public_key;  // PEM, read from jwt_public_key_file
    std::vector<RedisEndpoint> sentinels;  // from redis_sentinels and redis_sentinel_password
    std::vector<RedisEndpoint> cluster_seeds;  // from redis_cluster_nodes, with redis_url's credentials
    std::optional<HttpUrl> jwks_url;  // from jwt_jwks_url
};

struct ConfigOption {
    std::string_view key;          // file key; env WSGW_<KEY>; flag --<key with '-' for '_'>
    std::string_view help;
    bool secret;                   // never printed, never logged
    std::optional<std::string> (*apply)(Config&, std::string_view value);  // error text, or nullopt
    std::string (*show)(const Config&);
};

const std::vector<ConfigOption>& config_options();
std::string env_name(std::string_view key);
std::string flag_name(std::string_view key);

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

struct ConfigLoad {
    Config config;
    std::vector<std::string> errors;  // each names the key (and source) it is about
    bool show_help = false;
    bool show_version = false;
    bool check_only = false;  // --check-config: validate, print the effective settings, exit
};

// args excludes argv[0]. The config file comes from --config PATH or WSGW_CONFIG.
ConfigLoad load_config(const std::vector<std::string>& args, const EnvLookup& env, const FileReader& read_file,
                       unsigned hardware_threads);

// Reads the files that hold token-verifying material into `config`: jwt_secret_file into
// jwt_secret, jwt_secret_previous_file into jwt_secret_previous (a trailing newline trimmed, as
// mounted secrets often end in one), and jwt_public_key_file into jwt_public_key. Values set
// directly are kept when no file is named. Each error names the key and the file, never the
// contents. At start-up, and again on SIGHUP.
std::vector<std::string> load_auth_files(Config& config, const FileReader& read_file);

// key -> value for the start-up log line: secrets and the Redis password are redacted.
std::vector<std::pair<std::string, std::string>> describe(const Config& config);

std::string usage_text();

}  // namespace wsgw
