// request_target: the path and the query parameters of a request-target.
#include "wsgw/request_target.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace {

using wsgw::query_param;
using wsgw::target_path;

// ---------------------------------------------------------------------------------------------
// target_path
// ---------------------------------------------------------------------------------------------

TEST(TargetPath, StripsTheQueryString) {
    EXPECT_EQ(target_path("/ws?x=1"), "/ws");
    EXPECT_EQ(target_path("/ws?"), "/ws");
    EXPECT_EQ(target_path("/metrics?a=1?b=2"), "/metrics");
}

TEST(TargetPath, ReturnsATargetWithoutQueryUnchanged) {
    EXPECT_EQ(target_path("/ws"), "/ws");
    EXPECT_EQ(target_path("/"), "/");
    EXPECT_EQ(target_path(""), "");
}

TEST(TargetPath, TakesThePathOfAnAbsoluteFormTarget) {
    EXPECT_EQ(target_path("http://gw.example/ws?token=t"), "/ws");
    EXPECT_EQ(target_path("http://gw.example:8080/healthz"), "/healthz");
    EXPECT_EQ(target_path("HTTPS://user:pw@gw.example/ws"), "/ws") << "schemes are case-insensitive";
    EXPECT_EQ(target_path("wss://[::1]:8443/ws?x=1"), "/ws");
}

TEST(TargetPath, GivesAnAbsoluteFormTargetWithoutPathTheRoot) {
    EXPECT_EQ(target_path("http://gw.example"), "/");
    EXPECT_EQ(target_path("http://gw.example?x=1"), "/");
}

TEST(TargetPath, LeavesOtherFormsWholeSoNoEndpointMatches) {
    EXPECT_EQ(target_path("ftp://gw.example/ws"), "ftp://gw.example/ws");
    EXPECT_EQ(target_path("http:///ws"), "http:///ws") << "no host";
    EXPECT_EQ(target_path("gw.example:8080"), "gw.example:8080") << "authority form";
    EXPECT_EQ(target_path("*"), "*") << "asterisk form";
}

TEST(QueryParam, ReadsTheQueryOfAnAbsoluteFormTarget) {
    EXPECT_EQ(query_param("http://gw.example/ws?project_id=p1&token=t", "token"), "t");
}

// ---------------------------------------------------------------------------------------------
// query_param
// ---------------------------------------------------------------------------------------------

TEST(QueryParam, FindsAParameterAnywhereInTheQuery) {
    EXPECT_EQ(query_param("/ws?token=abc", "token"), "abc");
    EXPECT_EQ(query_param("/ws?a=1&token=abc&b=2", "token"), "abc");
    EXPECT_EQ(query_param("/ws?a=1&b=2&token=abc", "token"), "abc");
}

TEST(QueryParam, IsAbsentWithoutAQueryString) {
    EXPECT_EQ(query_param("/ws", "token"), std::nullopt);
    EXPECT_EQ(query_param("/ws?", "token"), std::nullopt);
}

TEST(QueryParam, IsAbsentWhenNotPresent) {
    EXPECT_EQ(query_param("/ws?a=1&b=2", "token"), std::nullopt);
}

TEST(QueryParam, MatchesWholeNamesOnly) {
    EXPECT_EQ(query_param("/ws?tokens=x&xtoken=y&Token=z", "token"), std::nullopt);
}

TEST(QueryParam, ReturnsTheFirstOccurrence) {
    EXPECT_EQ(query_param("/ws?project_id=p1&project_id=p2", "project_id"), "p1");
}

TEST(QueryParam, DecodesPercentEscapes) {
    EXPECT_EQ(query_param("/ws?t=a%2Fb%3Dc%26d", "t"), "a/b=c&d");
}

TEST(QueryParam, DecodesLowercaseHexEscapes) {
    EXPECT_EQ(query_param("/ws?t=%2f%3d%c3%a9", "t"), "/=\xc3\xa9");
}

TEST(QueryParam, DecodesPlusAsSpace) {
    EXPECT_EQ(query_param("/ws?q=a+b++c", "q"), "a b  c");
}

TEST(QueryParam, DecodesAnEscapedPlusAsPlus) {
    EXPECT_EQ(query_param("/ws?q=a%2Bb", "q"), "a+b");
}

TEST(QueryParam, DecodesTheParameterName) {
    EXPECT_EQ(query_param("/ws?%74oken=abc", "token"), "abc");
    EXPECT_EQ(query_param("/ws?project+id=p1", "project id"), "p1");
}

TEST(QueryParam, MalformedEscapeMakesTheParameterAbsent) {
    EXPECT_EQ(query_param("/ws?t=%G1", "t"), std::nullopt);
    EXPECT_EQ(query_param("/ws?t=%1G", "t"), std::nullopt);
    EXPECT_EQ(query_param("/ws?t=ab%zz", "t"), std::nullopt);
}

TEST(QueryParam, TruncatedEscapeMakesTheParameterAbsent) {
    EXPECT_EQ(query_param("/ws?t=%", "t"), std::nullopt);
    EXPECT_EQ(query_param("/ws?t=%4", "t"), std::nullopt);
    EXPECT_EQ(query_param("/ws?t=abc%4&x=1", "t"), std::nullopt);
}

TEST(QueryParam, EscapeAtTheVeryEndIsDecoded) {
    EXPECT_EQ(query_param("/ws?t=abc%41", "t"), "abcA");
    EXPECT_EQ(query_param("/ws?t=%41", "t"), "A");
}

TEST(QueryParam, MalformedNameIsSkippedNotFatal) {
    EXPECT_EQ(query_param("/ws?%zz=1&t=2", "t"), "2");
}

TEST(QueryParam, NameWithoutValueIsEmpty) {
    EXPECT_EQ(query_param("/ws?debug&t=1", "debug"), "");
    EXPECT_EQ(query_param("/ws?t=", "t"), "");
}

TEST(QueryParam, ValueMayContainEqualsSigns) {
    EXPECT_EQ(query_param("/ws?t=a=b", "t"), "a=b");
}

TEST(QueryParam, SkipsEmptyPairs) {
    EXPECT_EQ(query_param("/ws?&&t=1&", "t"), "1");
}

TEST(QueryParam, IgnoresTheFragment) {
    EXPECT_EQ(query_param("/ws?t=1#frag", "t"), "1");
    EXPECT_EQ(query_param("/ws?a=1#t=2", "t"), std::nullopt);
}

TEST(QueryParam, DecodesEscapedNulAndHighBytesVerbatim) {
    EXPECT_EQ(query_param("/ws?t=a%00b%FF", "t"), std::string("a\0b\xff", 4));
}

}  // namespace
