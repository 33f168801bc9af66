#pragma once
// Request-target and header parsing for the upgrade request: query parameters, cookies and the
// bearer token. Pure string work; the HTTP session hands in the raw pieces.
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// "/ws?x=1" -> "/ws"
std::string_view target_path(std::string_view target) noexcept;

// The percent-decoded value of the first `name` parameter of the target's query string.
// '+' decodes to a space (form encoding); a malformed escape makes the parameter absent.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

// The value of cookie `name` in a Cookie header ("a=1; b=2").
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// The token of an "Authorization: Bearer <token>" header (scheme case-insensitive).
std::optional<std::string> bearer_token(std::string_view authorization);

// Token sources in order: `token` query parameter, Authorization bearer, cookie `cookie_name`.
std::optional<std::string> extract_token(std::string_view target, std::string_view authorization,
                                         std::string_view cookie_header, std::string_view cookie_name);

}  // namespace wsgw
