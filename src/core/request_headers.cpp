#include "wsgw/request_headers.hpp"

#include "wsgw/text.hpp"

namespace wsgw {

std::optional<std::string_view> host_field_error(unsigned http_version, std::size_t host_fields) noexcept {
    if (host_fields > 1) return "more than one Host header";
    if (host_fields == 0 && http_version >= 11) return "missing Host header";
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

std::string_view last_list_item(std::string_view value) noexcept {
    const auto comma = value.rfind(',');
    return trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
}

}  // namespace wsgw
