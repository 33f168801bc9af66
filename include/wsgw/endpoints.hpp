#pragma once
// The addresses the configuration names, parsed from their text forms: where to listen
// (host:port, [v6]:port) and which Redis to reach (redis:// and unix:// URLs, host:port lists of
// Sentinels and cluster seeds). Errors say what form was expected.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsgw {

struct ListenAddress {
    std::string host = "0.0.0.0";
    std::uint16_t port = 8080;
};

struct RedisEndpoint {
    bool unix_socket = false;
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string path;  // unix socket path
    std::string username;
    std::string password;
    int db = 0;
};

// `base`'s credentials and db, at host:port over TCP: a node that a sentinel, a cluster topology
// or a redirect names is reached with the credentials configured for the data nodes.
RedisEndpoint with_address(const RedisEndpoint& base, std::string host, std::uint16_t port);
// Whether two endpoints name the same host and port (credentials and transport aside).
bool same_address(const RedisEndpoint& a, const RedisEndpoint& b) noexcept;

std::optional<ListenAddress> parse_listen(std::string_view text, std::string& error);
std::optional<RedisEndpoint> parse_redis_url(std::string_view text, std::string& error);
// "host:port,host:port" (IPv6 as [addr]:port); empty gives an empty list.
std::optional<std::vector<RedisEndpoint>> parse_endpoints(std::string_view text, std::string& error);

}  // namespace wsgw
