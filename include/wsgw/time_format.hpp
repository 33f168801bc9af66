#pragma once
#include <chrono>
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

}  // namespace wsgw
