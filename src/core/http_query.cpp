#include "wsgw/http_query.hpp"

#include "wsgw/text.hpp"

namespace wsgw {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

std::string_view target_path(std::string_view target) noexcept {
    target = target.substr(0, target.find('?'));
    if (target.empty() || target.front() == '/') return target;
    const auto colon = target.find("://");
    if (colon == std::string_view::npos) return target;
    const auto scheme = target.substr(0, colon);
    if (!iequals(scheme, "http") && !iequals(scheme, "https") && !iequals(scheme, "ws") && !iequals(scheme, "wss"))
        return target;
    // The authority ends at the path; it holds no '/' (userinfo, host and port only).
    const auto rest = target.substr(colon + 3);
    const auto slash = rest.find('/');
    if (slash == 0) return target;  // "http:///ws": no host
    return slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
}

std::optional<std::string_view> host_field_error(unsigned http_version, std::size_t host_fields) noexcept {
    if (host_fields > 1) return "more than one Host header";
    if (host_fields == 0 && http_version >= 11) return "missing Host header";
    return std::nullopt;
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
    auto q = target.find('?');
    if (q == std::string_view::npos) return std::nullopt;
    std::string_view query = target.substr(q + 1);
    if (auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = pair.find('=');
        auto key = percent_decode(pair.substr(0, eq));
        if (!key || *key != name) continue;
        if (eq == std::string_view::npos) return std::string{};
        return percent_decode(pair.substr(eq + 1));
    }
    return std::nullopt;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        auto semi = header.find(';');
        std::string_view pair = trim(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        if (trim(pair.substr(0, eq)) != name) continue;
        std::string_view value = trim(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        return std::string(value);
    }
    return std::nullopt;
}

std::optional<std::string> bearer_token(std::string_view authorization) {
    authorization = trim(authorization);
    auto space = authorization.find(' ');
    if (space == std::string_view::npos || !iequals(authorization.substr(0, space), "bearer")) return std::nullopt;
    auto token = trim(authorization.substr(space + 1));
    if (token.empty()) return std::nullopt;
    return std::string(token);
}

std::optional<FoundToken> extract_token(std::string_view target, std::string_view authorization,
                                        std::string_view cookie_header, std::string_view cookie_name) {
    if (auto t = query_param(target, "token"); t && !t->empty()) return FoundToken{std::move(*t), TokenSource::query};
    if (auto t = bearer_token(authorization)) return FoundToken{std::move(*t), TokenSource::header};
    if (!cookie_name.empty())
        if (auto t = cookie_value(cookie_header, cookie_name); t && !t->empty())
            return FoundToken{std::move(*t), TokenSource::cookie};
    return std::nullopt;
}

}  // namespace wsgw
