#pragma once
// The request-target of an HTTP request: its path and its query parameters. Pure string work;
// the HTTP session hands in the raw target.
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// The path of a request target: "/ws?x=1" -> "/ws" (origin form), and
// "http://gw.example:8080/ws?x=1" -> "/ws" (absolute form, which RFC 9112 section 3.2.2 says a
// server must accept; schemes http, https, ws, wss; an empty path is "/"). Any other target
// comes back whole up to its query, so it matches no endpoint.
std::string_view target_path(std::string_view target) noexcept;

// The percent-decoded value of the first `name` parameter of the target's query string.
// '+' decodes to a space (form encoding); a malformed escape makes the parameter absent.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

}  // namespace wsgw
