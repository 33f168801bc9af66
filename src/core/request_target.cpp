#include "wsgw/request_target.hpp"

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

}  // namespace wsgw
