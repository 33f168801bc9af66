#pragma once
// Token bucket for messages a client sends: `rate` per second sustained, `burst` at once.
// The clock is passed in; one bucket per socket, touched only by its thread.
#include <algorithm>
#include <chrono>

namespace wsgw {

class RateLimiter {
public:
    RateLimiter(double rate_per_second, double burst) : rate_(rate_per_second), burst_(burst), tokens_(burst) {}

    bool allow(std::chrono::steady_clock::time_point now) noexcept {
        if (started_) {
            double elapsed = std::chrono::duration<double>(now - last_).count();
            if (elapsed > 0) tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
        }
        started_ = true;
        last_ = now;
        if (tokens_ < 1.0) return false;
        tokens_ -= 1.0;
        return true;
    }

private:
    double rate_;
    double burst_;
    double tokens_;
    std::chrono::steady_clock::time_point last_{};
    bool started_ = false;
};

}  // namespace wsgw
