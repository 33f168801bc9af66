#include "wsgw/http_url.hpp"

#include "wsgw/text.hpp"

namespace wsgw {

std::string HttpUrl::host_header() const {
    // Built by appending: GCC 12 at -O3 warns (-Wrestrict, a false positive) on "[" + host + "]".
    std::string out;
    const bool ipv6 = host.find(':') != std::string::npos;
    if (ipv6) out += '[';
    out += host;
    if (ipv6) out += ']';
    if (port != (tls ? 443 : 80)) out.append(":").append(std::to_string(port));
    return out;
}

std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& error) {
    HttpUrl url;
    if (text.size() > kMaxUrlBytes) {
        error = "must be at most " + std::to_string(kMaxUrlBytes) + " characters";
        return std::nullopt;
    }
    for (char ch : text)
        if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) {
            error = "must not contain spaces or control characters";
            return std::nullopt;
        }
    std::string_view rest;
    if (text.size() >= 8 && iequals(text.substr(0, 8), "https://")) {
        url.tls = true;
        url.port = 443;
        rest = text.substr(8);
    } else if (text.size() >= 7 && iequals(text.substr(0, 7), "http://")) {
        rest = text.substr(7);
    } else {
        error = "must start with http:// or https://";
        return std::nullopt;
    }
    if (rest.find('#') != std::string_view::npos) {
        error = "must not have a #fragment";
        return std::nullopt;
    }
    auto authority_end = rest.find_first_of("/?");
    auto authority = rest.substr(0, authority_end);
    if (authority_end != std::string_view::npos) {
        url.target = std::string(rest.substr(authority_end));
        if (url.target.front() == '?') url.target = "/" + url.target;
    }
    if (authority.find('@') != std::string_view::npos) {
        error = "must not carry user:password@ (credentials in a URL end up in logs)";
        return std::nullopt;
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) {
            error = "has an unterminated [ipv6] host";
            return std::nullopt;
        }
        url.host = std::string(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                error = "expected :port after the [ipv6] host";
                return std::nullopt;
            }
            port_text = after.substr(1);
            if (port_text.empty()) {
                error = "has an empty port";
                return std::nullopt;
            }
        }
    } else {
        auto colon = authority.find(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) {
                error = "has an empty port";
                return std::nullopt;
            }
        }
    }
    if (url.host.empty()) {
        error = "needs a host";
        return std::nullopt;
    }
    if (!port_text.empty()) {
        auto port = to_uint(port_text);
        if (!port || *port == 0 || *port > 65535) {
            error = "needs a port from 1 to 65535";
            return std::nullopt;
        }
        url.port = static_cast<std::uint16_t>(*port);
    }
    return url;
}

}  // namespace wsgw
