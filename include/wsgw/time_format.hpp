#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// "2025-12-07T10:00:00Z": the form the gateway stamps on messages that carry no valid timestamp.
std::string format_utc_seconds(std::chrono::system_clock::time_point t);

// "2025-12-07T10:00:00.123Z": log lines.
std::string format_utc_millis(std::chrono::system_clock::time_point t);

// RFC 3339 section 5.6 date-time: full-date "T" full-time, with optional fraction and a "Z" or
// numeric offset. Field ranges are checked (month, day within month, hour, minute, second <= 60
// for leap seconds).
bool is_rfc3339(std::string_view text) noexcept;

// The same instant in UTC with "Z": "2025-12-07T12:00:00.5+02:00" -> "2025-12-07T10:00:00.5Z".
// Seconds and fraction are kept as written (offsets are whole minutes); a text already in UTC
// comes back as it was, with 't'/'z' upper-cased. nullopt when `text` is not RFC 3339, or when
// the instant falls outside years 0000-9999.
std::optional<std::string> to_utc_rfc3339(std::string_view text);

}  // namespace wsgw
