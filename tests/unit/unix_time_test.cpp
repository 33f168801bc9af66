// Unix seconds from outside at the edges of what a time point holds; run under UBSan, where a
// conversion that overflowed would abort the test instead of wrapping into the past.
#include "wsgw/unix_time.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

using wsgw::from_unix_seconds;
using wsgw::kLatestUnixSeconds;
using namespace std::chrono;

system_clock::time_point at(long long s) { return system_clock::time_point(seconds(s)); }

TEST(UnixTime, ConvertsTheEpochAndTodayExactly) {
    EXPECT_EQ(from_unix_seconds(0), at(0));
    EXPECT_EQ(from_unix_seconds(1767225600), at(1767225600));
    EXPECT_EQ(from_unix_seconds(kLatestUnixSeconds), at(4'000'000'000LL));
}

TEST(UnixTime, ClampsNeverExpiresAndLaterToTheLatestTimePointInsteadOfWrapping) {
    for (double s : {4e9 + 1, 9999999999.0, 1e11, 1e300, std::numeric_limits<double>::max(),
                     std::numeric_limits<double>::infinity()}) {
        auto t = from_unix_seconds(s);
        ASSERT_TRUE(t) << s;
        EXPECT_EQ(*t, at(4'000'000'000LL)) << s << " must clamp, not wrap into the past";
        EXPECT_GT(*t, system_clock::now()) << s;
    }
}

TEST(UnixTime, ClampsToALaterBoundWhenAskedSoALeewayAddedBeforeStoringSurvives) {
    EXPECT_EQ(from_unix_seconds(9999999999.0, kLatestUnixSeconds + 300), at(4'000'000'300LL));
    EXPECT_EQ(from_unix_seconds(4e9 + 120, kLatestUnixSeconds + 300), at(4'000'000'120LL));
}

TEST(UnixTime, RefusesNegativeAndNotANumber) {
    EXPECT_FALSE(from_unix_seconds(-1));
    EXPECT_FALSE(from_unix_seconds(-std::numeric_limits<double>::infinity()));
    EXPECT_FALSE(from_unix_seconds(std::nan("")));
}

TEST(UnixTime, TheLatestTimePointLeavesRoomForArithmetic) {
    // Sockets add their leeway to exp, and timers subtract now() from it: both stay in range.
    auto t = *from_unix_seconds(1e300) + hours(24 * 365 * 100);
    EXPECT_GT(t.time_since_epoch().count(), 0);
}

}  // namespace
