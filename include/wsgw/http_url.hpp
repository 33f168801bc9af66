#pragma once
// An http:// or https:// URL split into what an HTTP client needs to reach it: the JWKS endpoint's
// address.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

inline constexpr std::size_t kMaxUrlBytes = 2048;

struct HttpUrl {
    bool tls = false;
    std::string host;        // without brackets for IPv6
    std::uint16_t port = 80;
    std::string target = "/";  // path and query, as sent on the request line
    // "host" or "host:port" as the Host header carries it (brackets kept for IPv6).
    std::string host_header() const;
};

// Refuses user information ("user:pass@"): credentials would end up in logs and in the option
// table's output. A fragment is refused too; it is never sent.
std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& error);

}  // namespace wsgw
