#include "wsgw/client_address.hpp"

#include "wsgw/text.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace wsgw {

namespace {

// Parses an address into 16 bytes; IPv4 and IPv4-mapped IPv6 both come out as v4 (4 bytes used).
bool parse_ip(std::string_view text, std::uint8_t out[16], bool& v6) {
    std::string s(trim(text));
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
    if (s.empty() || s.size() > 45) return false;
    in_addr a4{};
    if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
        std::memcpy(out, &a4, 4);
        v6 = false;
        return true;
    }
    in6_addr a6{};
    if (inet_pton(AF_INET6, s.c_str(), &a6) != 1) return false;
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a6.s6_addr, kMapped, 12) == 0) {
        std::memcpy(out, a6.s6_addr + 12, 4);
        v6 = false;
        return true;
    }
    std::memcpy(out, a6.s6_addr, 16);
    v6 = true;
    return true;
}

bool prefix_match(const std::uint8_t* a, const std::uint8_t* b, unsigned prefix) {
    unsigned full = prefix / 8, rest = prefix % 8;
    if (std::memcmp(a, b, full) != 0) return false;
    if (rest == 0) return true;
    std::uint8_t mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

std::optional<std::string> canonical_ip(std::string_view text) {
    std::uint8_t bytes[16];
    bool v6 = false;
    if (!parse_ip(text, bytes, v6)) return std::nullopt;
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, buf, sizeof buf);
    return std::string(buf);
}

std::optional<TrustedProxies::Range> TrustedProxies::parse_range(std::string_view item, std::string& error) {
    Range r{};
    auto slash = item.find('/');
    if (!parse_ip(item.substr(0, slash), r.bytes, r.v6)) {
        error = item_error(item, "is not an address or CIDR range");
        return std::nullopt;
    }
    unsigned max = r.v6 ? 128 : 32;
    r.prefix = max;
    if (slash == std::string_view::npos) return r;
    auto bits = item.substr(slash + 1);
    unsigned p = 0;
    if (bits.empty() || bits.size() > 3) {
        error = item_error(item, "has a bad prefix length");
        return std::nullopt;
    }
    for (char c : bits) {
        if (c < '0' || c > '9') {
            error = item_error(item, "has a bad prefix length");
            return std::nullopt;
        }
        p = p * 10 + static_cast<unsigned>(c - '0');
    }
    if (p > max) {
        error = item_error(item, "has a prefix longer than the address");
        return std::nullopt;
    }
    r.prefix = p;
    return r;
}

std::optional<TrustedProxies> TrustedProxies::parse(std::string_view list, std::string& error) {
    TrustedProxies out;
    bool ok = true;
    for_each_item(list, ',', [&](std::string_view item) {
        if (!ok) return;
        auto range = parse_range(item, error);
        if (!range) {
            ok = false;
            return;
        }
        out.ranges_.push_back(*range);
    });
    if (!ok) return std::nullopt;
    return out;
}

bool TrustedProxies::contains(std::string_view address) const {
    std::uint8_t bytes[16];
    bool v6 = false;
    if (!parse_ip(address, bytes, v6)) return false;
    for (const auto& r : ranges_)
        if (r.v6 == v6 && prefix_match(bytes, r.bytes, r.prefix)) return true;
    return false;
}

std::string TrustedProxies::resolve(std::string_view peer, std::string_view xff, std::string_view x_real_ip) const {
    std::string client = canonical_ip(peer).value_or(std::string(peer));
    if (ranges_.empty() || !contains(peer)) return client;
    if (trim(xff).empty()) {
        if (auto real = canonical_ip(x_real_ip)) return *real;
        return client;
    }
    // Walk right to left: each hop was appended by the proxy before it.
    while (!xff.empty()) {
        auto comma = xff.rfind(',');
        auto hop = trim(comma == std::string_view::npos ? xff : xff.substr(comma + 1));
        xff = comma == std::string_view::npos ? std::string_view{} : xff.substr(0, comma);
        auto ip = canonical_ip(hop);
        if (!ip) return client;
        client = *ip;
        if (!contains(*ip)) return client;
    }
    return client;
}

}  // namespace wsgw
