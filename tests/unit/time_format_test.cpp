// format_utc_seconds / format_utc_millis of fixed instants, and is_rfc3339 on valid and invalid text.
#include "wsgw/time_format.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace {

using namespace std::chrono;

sys_time<milliseconds> at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0, int ms = 0) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} + milliseconds{ms};
}

// ---------------------------------------------------------------------------------------------
// format_utc_seconds
// ---------------------------------------------------------------------------------------------

TEST(FormatUtcSeconds, FormatsAFixedInstant) {
    EXPECT_EQ(wsgw::format_utc_seconds(at(2025, 12, 7, 10)), "2025-12-07T10:00:00Z");
}

TEST(FormatUtcSeconds, FormatsTheEpoch) {
    EXPECT_EQ(wsgw::format_utc_seconds(system_clock::time_point{}), "1970-01-01T00:00:00Z");
}

TEST(FormatUtcSeconds, ZeroPadsEveryField) {
    EXPECT_EQ(wsgw::format_utc_seconds(at(2001, 2, 3, 4, 5, 6)), "2001-02-03T04:05:06Z");
}

TEST(FormatUtcSeconds, FormatsALeapDay) {
    EXPECT_EQ(wsgw::format_utc_seconds(at(2024, 2, 29, 23, 59, 59)), "2024-02-29T23:59:59Z");
}

TEST(FormatUtcSeconds, DropsTheFractionWithoutRounding) {
    EXPECT_EQ(wsgw::format_utc_seconds(at(2025, 12, 31, 23, 59, 59, 999)), "2025-12-31T23:59:59Z");
}

TEST(FormatUtcSeconds, OutputIsItselfRfc3339) {
    EXPECT_TRUE(wsgw::is_rfc3339(wsgw::format_utc_seconds(at(2030, 6, 15, 12, 30, 45))));
}

// ---------------------------------------------------------------------------------------------
// format_utc_millis
// ---------------------------------------------------------------------------------------------

TEST(FormatUtcMillis, FormatsMilliseconds) {
    EXPECT_EQ(wsgw::format_utc_millis(at(2025, 12, 7, 10, 0, 0, 123)), "2025-12-07T10:00:00.123Z");
}

TEST(FormatUtcMillis, ZeroPadsMilliseconds) {
    EXPECT_EQ(wsgw::format_utc_millis(at(2025, 12, 7, 10, 0, 0, 0)), "2025-12-07T10:00:00.000Z");
    EXPECT_EQ(wsgw::format_utc_millis(at(2025, 12, 7, 10, 0, 0, 7)), "2025-12-07T10:00:00.007Z");
}

TEST(FormatUtcMillis, TruncatesSubMillisecondPrecision) {
    system_clock::time_point t = at(2025, 12, 7, 10, 0, 0, 999);
    t += microseconds{999};
    EXPECT_EQ(wsgw::format_utc_millis(t), "2025-12-07T10:00:00.999Z");
}

TEST(FormatUtcMillis, FormatsAnInstantBeforeTheEpoch) {
    EXPECT_EQ(wsgw::format_utc_millis(system_clock::time_point{} - milliseconds{1}), "1969-12-31T23:59:59.999Z");
}

TEST(FormatUtcMillis, OutputIsItselfRfc3339) {
    EXPECT_TRUE(wsgw::is_rfc3339(wsgw::format_utc_millis(at(2030, 6, 15, 12, 30, 45, 678))));
}

// ---------------------------------------------------------------------------------------------
// is_rfc3339
// ---------------------------------------------------------------------------------------------

class ValidRfc3339 : public ::testing::TestWithParam<const char*> {};
TEST_P(ValidRfc3339, IsAccepted) { EXPECT_TRUE(wsgw::is_rfc3339(GetParam())) << '"' << GetParam() << '"'; }
INSTANTIATE_TEST_SUITE_P(
    Rfc3339, ValidRfc3339,
    ::testing::Values("2025-12-07T10:00:00Z",            // basic UTC
                      "2025-12-07t10:00:00z",            // lowercase t and z
                      "2025-12-07T10:00:00.250+01:00",   // fraction and positive offset
                      "2025-12-07T10:00:00-05:30",       // negative offset
                      "2025-12-07T10:00:00+00:00",       // zero offset
                      "2025-12-07T10:00:00-23:59",       // largest offset
                      "2025-12-07T10:00:00.1Z",          // one fraction digit
                      "2025-12-07T10:00:00.123456789Z",  // nanoseconds
                      "2025-06-30T23:59:60Z",            // leap second
                      "2024-02-29T00:00:00Z",            // leap year
                      "2000-02-29T00:00:00Z",            // divisible by 400: leap
                      "2025-01-31T00:00:00Z",            // 31-day month
                      "2025-04-30T23:59:59Z",            // 30-day month
                      "0000-01-01T00:00:00Z",            // smallest year
                      "9999-12-31T23:59:59Z"));          // largest year

class InvalidRfc3339 : public ::testing::TestWithParam<const char*> {};
TEST_P(InvalidRfc3339, IsRefused) { EXPECT_FALSE(wsgw::is_rfc3339(GetParam())) << '"' << GetParam() << '"'; }
INSTANTIATE_TEST_SUITE_P(
    Rfc3339, InvalidRfc3339,
    ::testing::Values("",                                // empty
                      "2025",                            // year only
                      "2025-12-07",                      // date only
                      "2025-12-07T10:00:00",             // no zone
                      "2025-12-07T10:00Z",               // no seconds
                      "2025-12-07 10:00:00Z",            // space separator
                      "2025-12-07X10:00:00Z",            // wrong separator
                      "2025/12/07T10:00:00Z",            // wrong date separator
                      "2025-12-07T10-00-00Z",            // wrong time separator
                      "2025-02-29T10:00:00Z",            // Feb 29 of a common year
                      "1900-02-29T10:00:00Z",            // divisible by 100, not 400: common year
                      "2025-04-31T10:00:00Z",            // April has 30 days
                      "2025-13-01T10:00:00Z",            // month 13
                      "2025-00-10T10:00:00Z",            // month 0
                      "2025-12-00T10:00:00Z",            // day 0
                      "2025-12-32T10:00:00Z",            // day 32
                      "2025-12-07T24:00:00Z",            // hour 24
                      "2025-12-07T10:60:00Z",            // minute 60
                      "2025-12-07T10:00:61Z",            // second 61
                      "2025-12-07T10:00:00.Z",           // fraction without digits
                      "2025-12-07T10:00:00.",            // truncated fraction
                      "2025-12-07T10:00:00,5Z",          // comma fraction
                      "2025-12-07T10:00:00+0100",        // offset without colon
                      "2025-12-07T10:00:00+01",          // offset without minutes
                      "2025-12-07T10:00:00+24:00",       // offset hour 24
                      "2025-12-07T10:00:00+01:60",       // offset minute 60
                      "2025-12-07T10:00:00+01:00:00",    // offset with seconds
                      "2025-12-07T10:00:00ZZ",           // two zones
                      "2025-12-07T10:00:00Z ",           // trailing space
                      " 2025-12-07T10:00:00Z",           // leading space
                      "2025-12-07T10:00:00UTC",          // zone name
                      "25-12-07T10:00:00Z",              // two-digit year
                      "+2025-12-07T10:00:00Z",           // signed year
                      "2025-1-07T10:00:00Z",             // one-digit month
                      "2025-12-7T10:00:00Z",             // one-digit day
                      "2025-12-07T1:00:00Z",             // one-digit hour
                      "2025-1a-07T10:00:00Z",            // letter in month
                      "1733565600"));                    // a Unix time

TEST(IsRfc3339, RefusesTextWithAnEmbeddedNul) {
    EXPECT_FALSE(wsgw::is_rfc3339(std::string_view("2025-12-07T10:00:00Z\0", 21)));
}

TEST(IsRfc3339, RefusesEveryTruncationOfAValidTimestamp) {
    const std::string full = "2025-12-07T10:00:00.250+01:00";
    ASSERT_TRUE(wsgw::is_rfc3339(full));
    for (std::size_t n = 0; n < full.size(); ++n) {
        // Cutting inside the fraction at ".25" leaves no zone either, so every proper prefix is invalid.
        EXPECT_FALSE(wsgw::is_rfc3339(std::string_view(full).substr(0, n))) << "prefix of length " << n;
    }
}

}  // namespace
