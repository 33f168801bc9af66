// Control-channel commands: what is accepted, and the reason each malformed command is refused.
#include "wsgw/control_command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace {

using wsgw::ControlAction;
using wsgw::ControlError;
using wsgw::parse_control_command;
using namespace std::chrono;

::testing::AssertionResult fails_with(std::string_view payload, ControlError expected) {
    auto r = parse_control_command(payload);
    if (r.ok()) return ::testing::AssertionFailure() << "accepted: " << payload;
    if (r.error() != expected)
        return ::testing::AssertionFailure() << "refused as " << to_string(r.error()) << " (" << r.detail()
                                             << "), expected " << to_string(expected);
    return ::testing::AssertionSuccess();
}

TEST(ControlCommand, ParsesADisconnect) {
    auto r = parse_control_command(R"({"action":"disconnect","user":"u-1_A"})");
    ASSERT_TRUE(r.ok()) << r.detail();
    EXPECT_EQ(r.command().action, ControlAction::disconnect);
    EXPECT_EQ(r.command().user, "u-1_A");
}

TEST(ControlCommand, ParsesARevoke) {
    auto r = parse_control_command(R"({"action":"revoke","jti":"3f2a-77","exp":1767225600})");
    ASSERT_TRUE(r.ok()) << r.detail();
    EXPECT_EQ(r.command().action, ControlAction::revoke);
    EXPECT_EQ(r.command().jti, "3f2a-77");
    EXPECT_EQ(r.command().exp, system_clock::time_point(seconds(1767225600)));
}

TEST(ControlCommand, RoundsAFractionalExpUpSoTheTokenIsNeverOutlived) {
    auto r = parse_control_command(R"({"action":"revoke","jti":"j","exp":1767225600.2})");
    ASSERT_TRUE(r.ok()) << r.detail();
    EXPECT_EQ(r.command().exp, system_clock::time_point(seconds(1767225601)));
}

// A revoke's exp at the limits: accepted up to 1e11 and never turned into a time in the past
// (9999999999 used to overflow the nanosecond time point and wrap, so the refusal was dropped).
TEST(ControlCommand, KeepsAFarFutureExpInTheFutureAtEveryLimit) {
    const auto now = system_clock::now();
    const long long now_s = duration_cast<seconds>(now.time_since_epoch()).count();
    for (long long exp : {now_s, 4'000'000'000LL, 9'999'999'999LL, 100'000'000'000LL}) {
        auto r = parse_control_command(R"({"action":"revoke","jti":"j","exp":)" + std::to_string(exp) + "}");
        ASSERT_TRUE(r.ok()) << exp << ": " << r.detail();
        EXPECT_GE(r.command().exp, system_clock::time_point(seconds(std::min(exp, 4'000'000'000LL)))) << exp;
        EXPECT_LE(r.command().exp, system_clock::time_point(seconds(4'000'000'000LL))) << exp;
    }
    EXPECT_TRUE(fails_with(R"({"action":"revoke","jti":"j","exp":0})", ControlError::bad_exp));
    EXPECT_TRUE(fails_with(R"({"action":"revoke","jti":"j","exp":100000000001})", ControlError::bad_exp));
}

TEST(ControlCommand, IgnoresUnknownFields) {
    auto r = parse_control_command(R"({"action":"disconnect","user":"u1","reason":"banned","by":"admin"})");
    ASSERT_TRUE(r.ok()) << r.detail();
}

TEST(ControlCommand, RefusesWhatIsNotAJsonObject) {
    EXPECT_TRUE(fails_with("disconnect u1", ControlError::not_json));
    EXPECT_TRUE(fails_with("", ControlError::not_json));
    EXPECT_TRUE(fails_with(R"(["disconnect","u1"])", ControlError::not_object));
    EXPECT_TRUE(fails_with("42", ControlError::not_object));
}

TEST(ControlCommand, RefusesAMissingOrNonStringAction) {
    EXPECT_TRUE(fails_with(R"({"user":"u1"})", ControlError::missing_action));
    EXPECT_TRUE(fails_with(R"({"action":1,"user":"u1"})", ControlError::missing_action));
}

TEST(ControlCommand, RefusesAnUnknownAction) {
    EXPECT_TRUE(fails_with(R"({"action":"explode","user":"u1"})", ControlError::unknown_action));
    EXPECT_TRUE(fails_with(R"({"action":"Disconnect","user":"u1"})", ControlError::unknown_action))
        << "actions are case-sensitive";
}

TEST(ControlCommand, RefusesADisconnectWithoutAValidUser) {
    EXPECT_TRUE(fails_with(R"({"action":"disconnect"})", ControlError::bad_user));
    EXPECT_TRUE(fails_with(R"({"action":"disconnect","user":""})", ControlError::bad_user));
    EXPECT_TRUE(fails_with(R"({"action":"disconnect","user":"u 1"})", ControlError::bad_user));
    EXPECT_TRUE(fails_with(R"({"action":"disconnect","user":7})", ControlError::bad_user));
    EXPECT_TRUE(fails_with(R"({"action":"disconnect","user":")" + std::string(65, 'a') + "\"}",
                           ControlError::bad_user));
}

TEST(ControlCommand, RefusesARevokeWithoutAUsableJti) {
    EXPECT_TRUE(fails_with(R"({"action":"revoke","exp":1767225600})", ControlError::bad_jti));
    EXPECT_TRUE(fails_with(R"({"action":"revoke","jti":"","exp":1767225600})", ControlError::bad_jti));
    EXPECT_TRUE(fails_with(R"({"action":"revoke","jti":12,"exp":1767225600})", ControlError::bad_jti));
    EXPECT_TRUE(fails_with(R"({"action":"revoke","jti":")" + std::string(257, 'j') + R"(","exp":1767225600})",
                           ControlError::bad_jti));
    EXPECT_TRUE(parse_control_command(R"({"action":"revoke","jti":")" + std::string(256, 'j') +
                                      R"(","exp":1767225600})")
                    .ok())
        << "256 bytes is the limit";
}

TEST(ControlCommand, RefusesARevokeWithoutAPlausibleExp) {
    EXPECT_TRUE(fails_with(R"({"action":"revoke","jti":"j"})", ControlError::bad_exp));
    EXPECT_TRUE(fails_with(R"({"action":"revoke","jti":"j","exp":"1767225600"})", ControlError::bad_exp));
    EXPECT_TRUE(fails_with(R"({"action":"revoke","jti":"j","exp":0})", ControlError::bad_exp));
    EXPECT_TRUE(fails_with(R"({"action":"revoke","jti":"j","exp":-5})", ControlError::bad_exp));
    EXPECT_TRUE(fails_with(R"({"action":"revoke","jti":"j","exp":1e300})", ControlError::bad_exp));
}

TEST(ControlCommand, RefusesAnOversizedPayloadBeforeParsingIt) {
    std::string big = R"({"action":"disconnect","user":"u1","pad":")" + std::string(5000, 'x') + "\"}";
    EXPECT_TRUE(fails_with(big, ControlError::too_large));
}

}  // namespace
