#include "wsgw/endpoints.hpp"

#include "wsgw/text.hpp"

namespace wsgw {

RedisEndpoint with_address(const RedisEndpoint& base, std::string host, std::uint16_t port) {
    RedisEndpoint ep = base;
    ep.unix_socket = false;
    ep.host = std::move(host);
    ep.port = port;
    return ep;
}

bool same_address(const RedisEndpoint& a, const RedisEndpoint& b) noexcept {
    return a.host == b.host && a.port == b.port;
}

std::optional<ListenAddress> parse_listen(std::string_view text, std::string& error) {
    ListenAddress out;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            error = "must be host:port or [ipv6]:port";
            return std::nullopt;
        }
        out.host = std::string(text.substr(1, close - 1));
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) {
            error = "must be host:port or [ipv6]:port (got \"" + std::string(text) + "\")";
            return std::nullopt;
        }
        out.host = std::string(text.substr(0, colon));
        port = text.substr(colon + 1);
    }
    auto p = to_uint(port);
    if (out.host.empty() || !p || *p > 65535) {
        error = "must be host:port with a port from 0 to 65535 (got \"" + std::string(text) + "\")";
        return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(*p);
    return out;
}

std::optional<RedisEndpoint> parse_redis_url(std::string_view text, std::string& error) {
    RedisEndpoint ep;
    if (text.starts_with("unix://")) {
        auto rest = text.substr(7);
        auto q = rest.find('?');
        ep.unix_socket = true;
        ep.path = std::string(rest.substr(0, q));
        if (ep.path.empty() || ep.path.front() != '/') {
            error = "unix:// needs an absolute socket path (unix:///run/redis.sock)";
            return std::nullopt;
        }
        if (q != std::string_view::npos) {
            auto query = rest.substr(q + 1);
            if (!query.starts_with("db=") || !to_uint(query.substr(3)) || *to_uint(query.substr(3)) > 1'000'000) {
                error = "unix:// accepts only ?db=N with N from 0 to 1000000";
                return std::nullopt;
            }
            ep.db = static_cast<int>(*to_uint(query.substr(3)));
        }
        return ep;
    }
    if (!text.starts_with("redis://")) {
        error = "must start with redis:// or unix:// (got a value with another scheme)";
        return std::nullopt;
    }
    auto rest = text.substr(8);
    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        auto userinfo = rest.substr(0, at);
        rest = rest.substr(at + 1);
        auto colon = userinfo.find(':');
        if (colon == std::string_view::npos) {
            ep.password = std::string(userinfo);  // redis://password@host, as some clients accept
        } else {
            ep.username = std::string(userinfo.substr(0, colon));
            ep.password = std::string(userinfo.substr(colon + 1));
        }
    }
    auto slash = rest.find('/');
    auto hostport = rest.substr(0, slash);
    if (slash != std::string_view::npos && slash + 1 < rest.size()) {
        auto db = to_uint(rest.substr(slash + 1));
        if (!db || *db > 1'000'000) {
            error = "database must be a non-negative integer (redis://host:port/N)";
            return std::nullopt;
        }
        ep.db = static_cast<int>(*db);
    }
    if (hostport.empty()) {
        error = "needs a host (redis://host:port/db)";
        return std::nullopt;
    }
    if (hostport.front() == '[') {
        auto close = hostport.find(']');
        if (close == std::string_view::npos) {
            error = "has an unterminated [ipv6] host";
            return std::nullopt;
        }
        ep.host = std::string(hostport.substr(1, close - 1));
        hostport = hostport.substr(close + 1);
        if (!hostport.empty() && hostport.front() != ':') {
            error = "expected :port after the [ipv6] host";
            return std::nullopt;
        }
        if (!hostport.empty()) hostport = hostport.substr(1);
        else hostport = "6379";
    } else {
        auto colon = hostport.find(':');
        ep.host = std::string(hostport.substr(0, colon));
        hostport = colon == std::string_view::npos ? std::string_view("6379") : hostport.substr(colon + 1);
    }
    auto port = to_uint(hostport);
    if (ep.host.empty() || !port || *port == 0 || *port > 65535) {
        error = "needs host and a port from 1 to 65535 (redis://host:port/db)";
        return std::nullopt;
    }
    ep.port = static_cast<std::uint16_t>(*port);
    return ep;
}

std::optional<std::vector<RedisEndpoint>> parse_endpoints(std::string_view text, std::string& error) {
    std::vector<RedisEndpoint> out;
    bool ok = true;
    for_each_item(text, ',', [&](std::string_view item) {
        if (!ok) return;
        auto addr = parse_listen(item, error);
        if (!addr || addr->port == 0) {
            error = item_error(item, "is not host:port");
            ok = false;
            return;
        }
        out.push_back(with_address(RedisEndpoint{}, std::move(addr->host), addr->port));
    });
    if (!ok) return std::nullopt;
    return out;
}

}  // namespace wsgw
