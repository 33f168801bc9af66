#pragma once
// Header fields of an HTTP request that the gateway reads itself: Host, list-valued fields given
// on several lines, cookies and the bearer token. Pure string work.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// RFC 9112 section 3.2: an HTTP/1.1 request needs exactly one Host field, and no request may
// carry two. `host_fields` counts the Host field lines; `http_version` is 10 or 11. Returns why
// the request is refused (a 400), or nothing.
std::optional<std::string_view> host_field_error(unsigned http_version, std::size_t host_fields) noexcept;

// The value of cookie `name` in a Cookie header ("a=1; b=2").
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// The token of an "Authorization: Bearer <token>" header (scheme case-insensitive).
std::optional<std::string> bearer_token(std::string_view authorization);

// The lines of one list-valued header field (X-Forwarded-For) as one list, in order: RFC 9110
// section 5.3 says several field lines with the same name are one comma-separated value, so a
// proxy may add its own line instead of appending to the client's.
template <class Lines>
std::string join_field_lines(const Lines& lines) {
    std::string joined;
    for (std::string_view line : lines) {
        if (!joined.empty()) joined += ", ";
        joined.append(line);
    }
    return joined;
}

// The last item of a comma-separated field value, trimmed ("a.example, b.example" ->
// "b.example"): what the nearest proxy added to a list such as X-Forwarded-Host.
std::string_view last_list_item(std::string_view value) noexcept;

}  // namespace wsgw
