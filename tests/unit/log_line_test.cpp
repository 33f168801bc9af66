// format_log_line, safe_prefix and LogLimiter: one event is one line, whatever its values hold.
#include "wsgw/log_line.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "wsgw/log_limiter.hpp"
#include "wsgw/utf8.hpp"

namespace {

using wsgw::LogField;
using wsgw::LogFormat;
using ojson = nlohmann::ordered_json;

// 2025-12-07T10:00:00.123Z
const std::chrono::system_clock::time_point kNow = std::chrono::sys_days{std::chrono::year{2025} / 12 / 7} +
                                                   std::chrono::hours{10} + std::chrono::milliseconds{123};
constexpr const char* kNowText = "2025-12-07T10:00:00.123Z";

std::string line(LogFormat format, std::initializer_list<LogField> fields, std::string_view event = "test_event") {
    std::vector<LogField> v(fields);
    return wsgw::format_log_line(format, "warn", event, v, kNow);
}

// ---------------------------------------------------------------------------------------------
// JSON format
// ---------------------------------------------------------------------------------------------

TEST(JsonLogLine, ParsesAsOneJsonObjectWithTheGivenFields) {
    auto text = line(LogFormat::json, {{"channel", "user_noti:u1"}, {"bytes", 42}, {"ratio", 0.5}, {"ok", true},
                                       {"delta", -7}});
    auto doc = ojson::parse(text, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << "not JSON: " << text;
    EXPECT_EQ(doc["ts"], kNowText);
    EXPECT_EQ(doc["level"], "warn");
    EXPECT_EQ(doc["event"], "test_event");
    EXPECT_EQ(doc["channel"], "user_noti:u1");
    EXPECT_EQ(doc["bytes"], 42);
    EXPECT_TRUE(doc["bytes"].is_number_integer()) << "integers stay integers: " << text;
    EXPECT_EQ(doc["ratio"], 0.5);
    EXPECT_EQ(doc["ok"], true);
    EXPECT_TRUE(doc["ok"].is_boolean()) << text;
    EXPECT_EQ(doc["delta"], -7);
    EXPECT_EQ(doc.size(), 8u) << text;
}

TEST(JsonLogLine, StartsWithTimestampLevelAndEvent) {
    auto doc = ojson::parse(line(LogFormat::json, {{"a", 1}}));
    std::vector<std::string> keys;
    for (auto it = doc.begin(); it != doc.end(); ++it) keys.push_back(it.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"ts", "level", "event", "a"}));
}

TEST(JsonLogLine, StaysOneLineWhenValuesContainNewlinesAndQuotes) {
    const std::string hostile = "line1\nline2\r\n\"quoted\" \\ {\"level\":\"error\"}\t\x01";
    auto text = line(LogFormat::json, {{"reason", hostile}});
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
    EXPECT_EQ(text.find('\r'), std::string::npos) << text;
    auto doc = ojson::parse(text, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << text;
    EXPECT_EQ(doc["reason"], hostile) << "the value round-trips exactly";
    EXPECT_EQ(doc["level"], "warn") << "a value cannot forge another field";
}

TEST(JsonLogLine, StaysValidJsonWhenAValueIsInvalidUtf8) {
    auto text = line(LogFormat::json, {{"prefix", "ab\xff\xc0"}});
    EXPECT_TRUE(wsgw::is_valid_utf8(text)) << "invalid bytes must be replaced";
    auto doc = ojson::parse(text, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << text;
    EXPECT_EQ(doc["prefix"].get<std::string>().substr(0, 2), "ab");
}

TEST(JsonLogLine, EscapesTheEventName) {
    auto text = line(LogFormat::json, {}, "ev\"ent\n");
    auto doc = ojson::parse(text, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << text;
    EXPECT_EQ(doc["event"], "ev\"ent\n");
}

TEST(JsonLogLine, AcceptsStdStringValues) {
    const std::string user = "u1";
    auto doc = ojson::parse(line(LogFormat::json, {{"user", user}}));
    EXPECT_EQ(doc["user"], "u1");
}

// ---------------------------------------------------------------------------------------------
// Text format
// ---------------------------------------------------------------------------------------------

TEST(TextLogLine, StartsWithTimestampLevelAndEvent) {
    auto text = line(LogFormat::text, {});
    EXPECT_EQ(text, std::string(kNowText) + " warn test_event");
}

TEST(TextLogLine, WritesSimpleValuesBare) {
    auto text = line(LogFormat::text, {{"user", "u1"}, {"bytes", 42}, {"ok", false}, {"ratio", 1.5}});
    EXPECT_EQ(text, std::string(kNowText) + " warn test_event user=u1 bytes=42 ok=false ratio=1.5");
}

TEST(TextLogLine, QuotesValuesWithSpaces) {
    auto text = line(LogFormat::text, {{"reason", "slow consumer"}});
    EXPECT_NE(text.find(R"(reason="slow consumer")"), std::string::npos) << text;
}

TEST(TextLogLine, QuotesEmptyValues) {
    auto text = line(LogFormat::text, {{"detail", ""}});
    EXPECT_NE(text.find(R"(detail="")"), std::string::npos) << text;
}

TEST(TextLogLine, StaysOneLineWhenValuesContainNewlines) {
    auto text = line(LogFormat::text, {{"channel", "user_noti:u1\n2025-01-01T00:00:00.000Z error forged"}});
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
    EXPECT_NE(text.find(R"(channel="user_noti:u1\n2025-01-01T00:00:00.000Z error forged")"), std::string::npos)
        << text;
}

TEST(TextLogLine, EscapesQuotesAndBackslashes) {
    auto text = line(LogFormat::text, {{"v", "say \"hi\" \\o/"}});
    EXPECT_NE(text.find(R"(v="say \"hi\" \\o/")"), std::string::npos) << text;
}

TEST(TextLogLine, QuotesValuesThatCouldForgeAField) {
    auto text = line(LogFormat::text, {{"user", "u1 level=error"}, {"id", "a=b"}});
    EXPECT_NE(text.find(R"(user="u1 level=error")"), std::string::npos) << text;
    EXPECT_NE(text.find(R"(id="a=b")"), std::string::npos) << text;
}

TEST(TextLogLine, QuotesNonAsciiValues) {
    auto text = line(LogFormat::text, {{"v", "caf\xc3\xa9"}});
    EXPECT_NE(text.find("v=\"caf\xc3\xa9\""), std::string::npos) << text;
}

TEST(TextLogLine, QuotesKeysAndEventsThatNeedIt) {
    auto text = line(LogFormat::text, {{"bad key", 1}}, "bad event");
    EXPECT_NE(text.find(R"( "bad event" )"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("bad key"=1)"), std::string::npos) << text;
}

TEST(TextLogLine, ReplacesInvalidUtf8) {
    auto text = line(LogFormat::text, {{"prefix", "ab\xff"}});
    EXPECT_TRUE(wsgw::is_valid_utf8(text)) << "invalid bytes must not reach the log";
}

// ---------------------------------------------------------------------------------------------
// safe_prefix
// ---------------------------------------------------------------------------------------------

TEST(SafePrefix, ReturnsShortTextWhole) {
    EXPECT_EQ(wsgw::safe_prefix("hello", 5), "hello");
    EXPECT_EQ(wsgw::safe_prefix("hello", 64), "hello");
    EXPECT_EQ(wsgw::safe_prefix("", 0), "");
}

TEST(SafePrefix, CutsAsciiAtMax) {
    EXPECT_EQ(wsgw::safe_prefix("hello world", 5), "hello");
    EXPECT_EQ(wsgw::safe_prefix("hello", 0), "");
}

TEST(SafePrefix, DoesNotCutATwoByteCharacter) {
    // "a" "é" (C3 A9): a cut after 2 bytes would split é.
    EXPECT_EQ(wsgw::safe_prefix("a\xc3\xa9z", 2), "a");
    EXPECT_EQ(wsgw::safe_prefix("a\xc3\xa9z", 3), "a\xc3\xa9");
}

TEST(SafePrefix, DoesNotCutAThreeByteCharacter) {
    // "ab€" = 61 62 E2 82 AC
    EXPECT_EQ(wsgw::safe_prefix("ab\xe2\x82\xac!", 3), "ab");
    EXPECT_EQ(wsgw::safe_prefix("ab\xe2\x82\xac!", 4), "ab");
    EXPECT_EQ(wsgw::safe_prefix("ab\xe2\x82\xac!", 5), "ab\xe2\x82\xac");
}

TEST(SafePrefix, DoesNotCutAFourByteCharacter) {
    const std::string rocket = "\xf0\x9f\x9a\x80";
    for (std::size_t max = 0; max < 4; ++max) EXPECT_EQ(wsgw::safe_prefix(rocket + "x", max), "") << "max " << max;
    EXPECT_EQ(wsgw::safe_prefix(rocket + "x", 4), rocket);
}

TEST(SafePrefix, AlwaysYieldsValidUtf8FromValidInput) {
    const std::string text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x9a\x80z\xc3\xa9";
    ASSERT_TRUE(wsgw::is_valid_utf8(text));
    for (std::size_t max = 0; max <= text.size() + 1; ++max) {
        auto p = wsgw::safe_prefix(text, max);
        EXPECT_LE(p.size(), max);
        EXPECT_TRUE(wsgw::is_valid_utf8(p)) << "safe_prefix(text, " << max << ") split a character";
        EXPECT_GE(p.size() + 3, std::min(max, text.size())) << "cut more than one character short at max " << max;
    }
}

// ---------------------------------------------------------------------------------------------
// LogLimiter
// ---------------------------------------------------------------------------------------------

const std::chrono::steady_clock::time_point kT0 = std::chrono::steady_clock::time_point{} + std::chrono::hours{1};

TEST(LogLimiter, AllowsUpToTheRatePerSecond) {
    wsgw::LogLimiter limiter(3);
    std::uint64_t suppressed = 99;
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow(kT0, suppressed)) << "line " << i;
    EXPECT_FALSE(limiter.allow(kT0 + std::chrono::milliseconds(500), suppressed)) << "the 4th line in a second";
    EXPECT_EQ(suppressed, 0u) << "no window has closed yet";
}

TEST(LogLimiter, ReportsSuppressedLinesWhenTheNextWindowOpens) {
    wsgw::LogLimiter limiter(1);
    std::uint64_t suppressed = 0;
    EXPECT_TRUE(limiter.allow(kT0, suppressed));
    EXPECT_FALSE(limiter.allow(kT0, suppressed));
    EXPECT_FALSE(limiter.allow(kT0 + std::chrono::milliseconds(999), suppressed));
    EXPECT_TRUE(limiter.allow(kT0 + std::chrono::seconds(1), suppressed)) << "a new window allows again";
    EXPECT_EQ(suppressed, 2u) << "the two lines refused in the last window";
    EXPECT_FALSE(limiter.allow(kT0 + std::chrono::seconds(1), suppressed));
    EXPECT_EQ(suppressed, 0u) << "suppressed is reported once";
}

TEST(LogLimiter, ReportsZeroWhenNothingWasSuppressed) {
    wsgw::LogLimiter limiter(5);
    std::uint64_t suppressed = 7;
    EXPECT_TRUE(limiter.allow(kT0, suppressed));
    EXPECT_TRUE(limiter.allow(kT0 + std::chrono::seconds(3), suppressed));
    EXPECT_EQ(suppressed, 0u);
}

TEST(LogLimiter, ZeroRateAllowsNothing) {
    wsgw::LogLimiter limiter(0);
    std::uint64_t suppressed = 0;
    EXPECT_FALSE(limiter.allow(kT0, suppressed));
}

}  // namespace
