#include "wsgw/jwks_refresh.hpp"

#include <algorithm>

namespace wsgw {

std::string_view to_string(JwksFetchResult r) noexcept {
    static constexpr std::array<std::string_view, kJwksFetchResultCount> kNames = {"ok", "unreachable", "bad_status",
                                                                                   "too_large", "invalid"};
    return kNames[static_cast<std::size_t>(r)];
}

void JwksRefreshPolicy::started(Clock::time_point now) noexcept {
    fetching_ = true;
    started_once_ = true;
    last_start_ = now;
}

void JwksRefreshPolicy::succeeded(Clock::time_point now) noexcept {
    fetching_ = false;
    failures_ = 0;
    next_ = now + settings_.interval;
}

void JwksRefreshPolicy::failed(Clock::time_point now) noexcept {
    fetching_ = false;
    auto delay = settings_.failure_backoff_min;
    for (unsigned i = 0; i < failures_ && delay < settings_.failure_backoff_max; ++i) delay *= 2;
    ++failures_;
    delay = std::min({delay, settings_.failure_backoff_max,
                      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.interval)});
    next_ = now + delay;
}

bool JwksRefreshPolicy::unknown_kid(Clock::time_point now) noexcept {
    if (failures_ > 0) return false;
    auto earliest = started_once_ ? std::max(now, last_start_ + settings_.unknown_kid_gap) : now;
    if (earliest >= next_) return false;
    next_ = earliest;
    return true;
}

}  // namespace wsgw
