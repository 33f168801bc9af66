// RateLimiter: the token bucket on frames a client sends. Time is injected; nothing sleeps.
#include "wsgw/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace {

using wsgw::RateLimiter;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// Well away from the clock's epoch (time_point{}), which the bucket uses as "never called".
const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours{1};

// How many of `calls` calls at `when` are allowed.
int allowed_at(RateLimiter& r, Clock::time_point when, int calls) {
    int n = 0;
    for (int i = 0; i < calls; ++i) n += r.allow(when) ? 1 : 0;
    return n;
}

// Rates and intervals below are powers of two so the bucket's double arithmetic is exact.

TEST(RateLimiter, AllowsTheBurstAtOnce) {
    RateLimiter r(/*rate_per_second=*/1, /*burst=*/5);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(r.allow(kT0)) << "message " << i << " of a burst of 5";
}

TEST(RateLimiter, RefusesBeyondTheBurst) {
    RateLimiter r(1, 5);
    allowed_at(r, kT0, 5);
    EXPECT_FALSE(r.allow(kT0)) << "the 6th message at the same instant";
    EXPECT_FALSE(r.allow(kT0)) << "and every one after it";
}

TEST(RateLimiter, BurstOfOneAllowsOneAtATime) {
    RateLimiter r(1, 1);
    EXPECT_TRUE(r.allow(kT0));
    EXPECT_FALSE(r.allow(kT0));
}

TEST(RateLimiter, RefillsOneTokenPerIntervalOfTheRate) {
    RateLimiter r(/*rate_per_second=*/4, /*burst=*/2);
    EXPECT_EQ(allowed_at(r, kT0, 2), 2);
    EXPECT_FALSE(r.allow(kT0 + milliseconds(249))) << "less than 1/4 s has passed";
}

TEST(RateLimiter, AllowsAgainOnceAnIntervalHasPassed) {
    RateLimiter r(4, 2);
    EXPECT_EQ(allowed_at(r, kT0, 2), 2);
    EXPECT_TRUE(r.allow(kT0 + milliseconds(250))) << "1/4 s at 4 per second earns one message";
    EXPECT_FALSE(r.allow(kT0 + milliseconds(250))) << "and only one";
}

TEST(RateLimiter, RefusedCallsKeepTheirPartialRefill) {
    RateLimiter r(/*rate_per_second=*/2, /*burst=*/1);
    EXPECT_TRUE(r.allow(kT0));
    EXPECT_FALSE(r.allow(kT0 + milliseconds(250))) << "half a token so far";
    EXPECT_TRUE(r.allow(kT0 + milliseconds(500))) << "the half earned before the refusal must not be lost";
}

TEST(RateLimiter, RefillsSeveralTokensAfterSeveralIntervals) {
    RateLimiter r(4, 10);
    EXPECT_EQ(allowed_at(r, kT0, 10), 10);
    EXPECT_EQ(allowed_at(r, kT0 + milliseconds(750), 5), 3) << "3/4 s at 4 per second earns three messages";
}

TEST(RateLimiter, SustainsTheConfiguredRate) {
    // Burst of 1, 8 per second, called 64 times a second for one second (65 calls at 0..1 s):
    // the first is the burst, then one in every 8 calls.
    RateLimiter r(/*rate_per_second=*/8, /*burst=*/1);
    const nanoseconds step = nanoseconds(seconds(1)) / 64;
    int allowed = 0;
    for (int i = 0; i <= 64; ++i) allowed += r.allow(kT0 + i * step) ? 1 : 0;
    EXPECT_EQ(allowed, 1 + 8) << "burst + rate x 1 s";
}

TEST(RateLimiter, SameInstantEarnsNothing) {
    RateLimiter r(1000, 1);
    EXPECT_TRUE(r.allow(kT0));
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(r.allow(kT0)) << "call " << i << " at the same instant";
}

TEST(RateLimiter, NeverAccumulatesBeyondTheBurstAfterALongIdle) {
    RateLimiter r(/*rate_per_second=*/100, /*burst=*/3);
    EXPECT_EQ(allowed_at(r, kT0, 3), 3);
    const auto later = kT0 + std::chrono::hours(24);
    EXPECT_EQ(allowed_at(r, later, 10), 3) << "a day idle at 100 per second still leaves only the burst";
}

TEST(RateLimiter, UnusedBurstDoesNotGrowBeyondItself) {
    RateLimiter r(100, 3);
    EXPECT_TRUE(r.allow(kT0)) << "spend one, leaving two";
    EXPECT_EQ(allowed_at(r, kT0 + seconds(10), 10), 3) << "refill stops at the burst, not burst + leftover";
}

TEST(RateLimiter, AfterIdleTheRateAppliesAgainOnceTheBurstIsSpent) {
    RateLimiter r(4, 2);
    allowed_at(r, kT0, 2);
    const auto later = kT0 + seconds(60);
    EXPECT_EQ(allowed_at(r, later, 5), 2);
    EXPECT_FALSE(r.allow(later + milliseconds(200)));
    EXPECT_TRUE(r.allow(later + milliseconds(250)));
}

}  // namespace
