// backoff_delay: drawn from [step / 2, step], step = min(cap, floor * 2^attempt).
#include "wsgw/backoff.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <climits>

namespace {

using std::chrono::milliseconds;
using wsgw::backoff_delay;

constexpr milliseconds kFloor{100};
constexpr milliseconds kCap{5000};
constexpr double kAlmostOne = 0.999999999;

// The expected step, computed independently with saturation.
long long step_for(unsigned attempt, long long floor, long long cap) {
    long long step = floor;
    for (unsigned i = 0; i < attempt; ++i) {
        if (step >= cap) break;
        step *= 2;
    }
    return std::min(step, cap);
}

TEST(Backoff, FirstAttemptLiesBetweenHalfTheFloorAndTheFloor) {
    EXPECT_EQ(backoff_delay(0, kFloor, kCap, 0.0), milliseconds(50));
    EXPECT_EQ(backoff_delay(0, kFloor, kCap, 0.5), milliseconds(75));
    auto top = backoff_delay(0, kFloor, kCap, kAlmostOne);
    EXPECT_GE(top, milliseconds(99));
    EXPECT_LE(top, kFloor);
}

TEST(Backoff, DoublesPerAttemptBeforeTheCap) {
    EXPECT_EQ(backoff_delay(1, kFloor, kCap, 0.0), milliseconds(100));
    EXPECT_EQ(backoff_delay(2, kFloor, kCap, 0.0), milliseconds(200));
    EXPECT_EQ(backoff_delay(3, kFloor, kCap, 0.0), milliseconds(400));
    EXPECT_EQ(backoff_delay(5, kFloor, kCap, 0.0), milliseconds(1600));
}

TEST(Backoff, StopsGrowingAtTheCap) {
    // 100 * 2^6 = 6400 > 5000: capped from attempt 6 on.
    EXPECT_EQ(backoff_delay(6, kFloor, kCap, 0.0), milliseconds(2500));
    EXPECT_EQ(backoff_delay(7, kFloor, kCap, 0.0), milliseconds(2500));
    EXPECT_EQ(backoff_delay(50, kFloor, kCap, 0.0), milliseconds(2500));
}

TEST(Backoff, NeverExceedsTheCap) {
    for (unsigned attempt : {0u, 1u, 5u, 6u, 7u, 30u, 64u, 1000u, UINT_MAX})
        EXPECT_LE(backoff_delay(attempt, kFloor, kCap, kAlmostOne), kCap) << "attempt " << attempt;
    EXPECT_EQ(backoff_delay(UINT_MAX, kFloor, kCap, 1.0), kCap);
}

TEST(Backoff, NeverFallsBelowHalfTheStep) {
    for (unsigned attempt = 0; attempt <= 40; ++attempt)
        for (double r : {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, kAlmostOne}) {
            auto step = step_for(attempt, kFloor.count(), kCap.count());
            auto d = backoff_delay(attempt, kFloor, kCap, r).count();
            EXPECT_GE(d, step / 2) << "attempt " << attempt << ", random " << r;
            EXPECT_LE(d, step) << "attempt " << attempt << ", random " << r;
        }
}

TEST(Backoff, GrowsThenCapsWithTheSameRandomDraw) {
    milliseconds previous{0};
    for (unsigned attempt = 0; attempt < 20; ++attempt) {
        auto d = backoff_delay(attempt, kFloor, kCap, 0.6);
        EXPECT_GE(d, previous) << "the delay shrank at attempt " << attempt;
        previous = d;
    }
    EXPECT_GE(previous, kCap / 2) << "after 20 attempts the step is the cap";
}

TEST(Backoff, JitterSpreadsTheDelay) {
    EXPECT_LT(backoff_delay(4, kFloor, kCap, 0.0), backoff_delay(4, kFloor, kCap, 0.9))
        << "two gateways drawing different randoms must not reconnect at the same instant";
}

TEST(Backoff, ClampsRandomsOutsideTheUnitInterval) {
    EXPECT_EQ(backoff_delay(0, kFloor, kCap, -3.0), milliseconds(50));
    EXPECT_EQ(backoff_delay(0, kFloor, kCap, 7.0), kFloor);
}

TEST(Backoff, FloorAboveCapIsCapped) {
    EXPECT_EQ(backoff_delay(0, milliseconds(10'000), kCap, 1.0), kCap);
    EXPECT_EQ(backoff_delay(0, milliseconds(10'000), kCap, 0.0), kCap / 2);
}

TEST(Backoff, HandlesTheConfiguredExtremesWithoutOverflow) {
    // redis_reconnect_min_ms >= 10 and redis_reconnect_max_ms <= 300000.
    for (unsigned attempt : {0u, 10u, 100u, UINT_MAX}) {
        auto d = backoff_delay(attempt, milliseconds(10), milliseconds(300'000), kAlmostOne);
        EXPECT_GT(d.count(), 0) << "attempt " << attempt;
        EXPECT_LE(d, milliseconds(300'000)) << "attempt " << attempt;
    }
}

}  // namespace
