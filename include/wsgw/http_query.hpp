#pragma once
// Request-target and header parsing for the upgrade request: query parameters, cookies and the
// bearer token. Pure string work; the HTTP session hands in the raw pieces.
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// The path of a request target: "/ws?x=1" -> "/ws" (origin form), and
// "http://gw.example:8080/ws?x=1" -> "/ws" (absolute form, which RFC 9112 section 3.2.2 says a
// server must accept; schemes http, https, ws, wss; an empty path is "/"). Any other target
// comes back whole up to its query, so it matches no endpoint.
std::string_view target_path(std::string_view target) noexcept;

// RFC 9112 section 3.2: an HTTP/1.1 request needs exactly one Host field, and no request may
// carry two. `host_fields` counts the Host field lines; `http_version` is 10 or 11. Returns why
// the request is refused (a 400), or nothing.
std::optional<std::string_view> host_field_error(unsigned http_version, std::size_t host_fields) noexcept;

// The percent-decoded value of the first `name` parameter of the target's query string.
// '+' decodes to a space (form encoding); a malformed escape makes the parameter absent.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

// The value of cookie `name` in a Cookie header ("a=1; b=2").
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// The token of an "Authorization: Bearer <token>" header (scheme case-insensitive).
std::optional<std::string> bearer_token(std::string_view authorization);

// Where a token was found. A cookie is an ambient credential: the browser attaches it to a
// request that any site starts, so a cookie token is believed only from an allowed Origin
// (OriginPolicy::check_ambient). The query and the header are sent only by code that holds the
// token itself.
enum class TokenSource { query, header, cookie };

struct FoundToken {
    std::string value;
    TokenSource source;
};

// Token sources in order: `token` query parameter, Authorization bearer, cookie `cookie_name`.
std::optional<FoundToken> extract_token(std::string_view target, std::string_view authorization,
                                        std::string_view cookie_header, std::string_view cookie_name);

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

}  // namespace wsgw
