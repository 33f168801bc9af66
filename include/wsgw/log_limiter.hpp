#pragma once
// Caps how many lines one noisy event may write per second (a publisher that floods bad
// messages must not flood the log too). The clock is passed in.
#include <chrono>
#include <cstdint>

namespace wsgw {

class LogLimiter {
public:
    explicit LogLimiter(std::uint32_t per_second) : per_second_(per_second) {}

    // True when a line may be written now. When a new one-second window opens, the lines
    // suppressed in the last one are returned through `suppressed` (else it is set to 0).
    bool allow(std::chrono::steady_clock::time_point now, std::uint64_t& suppressed) noexcept {
        suppressed = 0;
        if (now - window_start_ >= std::chrono::seconds(1)) {
            suppressed = suppressed_;
            suppressed_ = 0;
            used_ = 0;
            window_start_ = now;
        }
        if (used_ < per_second_) {
            ++used_;
            return true;
        }
        ++suppressed_;
        return false;
    }

private:
    std::uint32_t per_second_;
    std::uint32_t used_ = 0;
    std::uint64_t suppressed_ = 0;
    std::chrono::steady_clock::time_point window_start_{};
};

}  // namespace wsgw
