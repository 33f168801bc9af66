#include "wsgw/unix_time.hpp"

#include <algorithm>
#include <cmath>

namespace wsgw {

std::optional<std::chrono::system_clock::time_point> from_unix_seconds(double seconds, double latest) noexcept {
    if (std::isnan(seconds) || seconds < 0) return std::nullopt;
    // Clamped as a double, before any integer conversion: that conversion is where it overflows.
    seconds = std::min(seconds, latest);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(seconds)));
}

}  // namespace wsgw
