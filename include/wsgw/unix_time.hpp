#pragma once
// Unix seconds that come from outside (a token's exp and nbf, a revoke command's exp, a score in
// the deny list kept in Redis) as system_clock time points.
//
// system_clock counts nanoseconds in 64 bits here, so a time point past about 9.2e9 s (the year
// 2262) does not exist: converting a larger number is undefined behaviour, and in practice wraps
// into the past. The usual "never expires" exp, 9999999999, is past it. Such numbers are clamped
// to kLatestUnixSeconds instead, which is where tokens' own exp is clamped too, so a refusal
// clamped there still lasts as long as the token it refuses can be used.
#include <chrono>
#include <optional>

namespace wsgw {

// 2096-10-02: far enough for any real expiry, and far enough from the overflow that adding a
// leeway, a timeout or a clock difference to it stays exact.
inline constexpr double kLatestUnixSeconds = 4e9;

// The time point `seconds` after the epoch, clamped to `latest` (+infinity too). Nothing for NaN
// and negative numbers. `latest` itself must be within system_clock's range.
std::optional<std::chrono::system_clock::time_point> from_unix_seconds(double seconds,
                                                                        double latest = kLatestUnixSeconds) noexcept;

}  // namespace wsgw
