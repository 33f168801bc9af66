#pragma once
// When to fetch the JWKS document again: on a fixed interval, sooner when a token names a key the
// set does not hold (so a key the provider has just added works within seconds), and with growing
// delays while the endpoint fails. The clock is passed in, so every timing is testable.
#include <array>
#include <chrono>
#include <cstddef>
#include <string_view>

namespace wsgw {

// What one fetch came to; the label of wsgw_jwks_fetches_total.
enum class JwksFetchResult {
    ok,
    unreachable,  // resolve, connect, TLS or read failed, or the timeout passed
    bad_status,   // an HTTP status other than 200
    too_large,    // the body exceeded kMaxJwksDocumentBytes
    invalid,      // not a key set, or no usable key in it
};
inline constexpr std::size_t kJwksFetchResultCount = 5;
std::string_view to_string(JwksFetchResult r) noexcept;

// A token with an unknown kid brings a fetch forward at most this often: a burst of tokens with
// made-up kids costs the provider one request, not one per token.
inline constexpr std::chrono::seconds kUnknownKidRefetchGap{5};

struct JwksRefreshSettings {
    std::chrono::seconds interval{300};
    std::chrono::seconds unknown_kid_gap = kUnknownKidRefetchGap;
    std::chrono::milliseconds failure_backoff_min{1000};
    std::chrono::milliseconds failure_backoff_max{60'000};
};

class JwksRefreshPolicy {
public:
    using Clock = std::chrono::steady_clock;

    // The first fetch is due at once.
    JwksRefreshPolicy(JwksRefreshSettings settings, Clock::time_point now) : settings_(settings), next_(now) {}

    Clock::time_point next_fetch() const noexcept { return next_; }
    bool fetching() const noexcept { return fetching_; }
    bool due(Clock::time_point now) const noexcept { return !fetching_ && now >= next_; }

    void started(Clock::time_point now) noexcept;
    // After a success the next fetch is one interval away.
    void succeeded(Clock::time_point now) noexcept;
    // After a failure: backoff_min, doubling per consecutive failure up to backoff_max, and never
    // later than the regular interval.
    void failed(Clock::time_point now) noexcept;
    unsigned consecutive_failures() const noexcept { return failures_; }

    // A token named a kid the set lacks. Brings the next fetch forward to the earliest moment the
    // gap since the last fetch allows; returns true when that moved it. While the endpoint fails,
    // the backoff decides and unknown kids change nothing.
    bool unknown_kid(Clock::time_point now) noexcept;
    // An operator asked for fresh keys (SIGHUP): due at once, gap and backoff notwithstanding.
    void refetch_now(Clock::time_point now) noexcept { next_ = now; }

private:
    JwksRefreshSettings settings_;
    Clock::time_point next_;
    Clock::time_point last_start_{};
    bool started_once_ = false;
    bool fetching_ = false;
    unsigned failures_ = 0;
};

}  // namespace wsgw
