#pragma once
// The client's address for per-address limits and logs. X-Forwarded-For and X-Real-IP are
// believed only when the TCP peer is a configured trusted proxy; otherwise anyone could claim
// any address and escape the per-address limit.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsgw {

class TrustedProxies {
public:
    TrustedProxies() = default;
    // Comma-separated CIDRs or addresses ("10.0.0.0/8, 127.0.0.1, fd00::/8").
    static std::optional<TrustedProxies> parse(std::string_view list, std::string& error);

    bool empty() const noexcept { return ranges_.empty(); }
    bool contains(std::string_view address) const;

    // The client address: the TCP peer unless it is trusted, then the right-most untrusted entry
    // of X-Forwarded-For (or X-Real-IP when that header is absent). Malformed entries stop the
    // walk at the last trusted hop.
    std::string resolve(std::string_view peer, std::string_view x_forwarded_for, std::string_view x_real_ip) const;

private:
    struct Range {
        std::uint8_t bytes[16];
        bool v6;
        unsigned prefix;
    };
    // One "addr" or "addr/prefix"; nullopt with `error` naming the problem.
    static std::optional<Range> parse_range(std::string_view item, std::string& error);
    std::vector<Range> ranges_;
};

// Canonical text of an IPv4/IPv6 address (IPv4-mapped IPv6 as IPv4), or nullopt.
std::optional<std::string> canonical_ip(std::string_view text);

}  // namespace wsgw
