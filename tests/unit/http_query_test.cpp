// Request-target, cookie and Authorization parsing for the upgrade request.
#include "wsgw/http_query.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace {

using wsgw::bearer_token;
using wsgw::cookie_value;
using wsgw::extract_token;
using wsgw::host_field_error;
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
// host_field_error
// ---------------------------------------------------------------------------------------------

TEST(HostField, AcceptsExactlyOneHostInHttp11) { EXPECT_FALSE(host_field_error(11, 1)); }

TEST(HostField, RefusesAnHttp11RequestWithoutHost) {
    EXPECT_EQ(host_field_error(11, 0), std::optional<std::string_view>("missing Host header"));
}

TEST(HostField, RefusesTwoHostsInAnyVersion) {
    EXPECT_EQ(host_field_error(11, 2), std::optional<std::string_view>("more than one Host header"));
    EXPECT_EQ(host_field_error(10, 3), std::optional<std::string_view>("more than one Host header"));
}

TEST(HostField, LetsHttp10GoWithoutHost) { EXPECT_FALSE(host_field_error(10, 0)); }

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

// ---------------------------------------------------------------------------------------------
// cookie_value
// ---------------------------------------------------------------------------------------------

TEST(CookieValue, FindsACookieAmongOthers) {
    EXPECT_EQ(cookie_value("a=1; b=2; c=3", "b"), "2");
    EXPECT_EQ(cookie_value("a=1; b=2; c=3", "a"), "1");
    EXPECT_EQ(cookie_value("a=1; b=2; c=3", "c"), "3");
}

TEST(CookieValue, IsAbsentWhenNotPresent) {
    EXPECT_EQ(cookie_value("a=1; b=2", "wsgw_token"), std::nullopt);
    EXPECT_EQ(cookie_value("", "a"), std::nullopt);
}

TEST(CookieValue, MatchesWholeNamesOnly) {
    EXPECT_EQ(cookie_value("xa=1; ab=2; A=3", "a"), std::nullopt);
}

TEST(CookieValue, ToleratesSpacesAroundNamesAndValues) {
    EXPECT_EQ(cookie_value("  a = 1 ;   b =  2  ", "b"), "2");
    EXPECT_EQ(cookie_value("a=1;b=2", "b"), "2") << "the space after ';' is optional";
    EXPECT_EQ(cookie_value("a=1;\tb=2", "b"), "2");
}

TEST(CookieValue, RemovesSurroundingDoubleQuotes) {
    EXPECT_EQ(cookie_value(R"(t="abc.def"; a=1)", "t"), "abc.def");
    EXPECT_EQ(cookie_value(R"(t = "abc" )", "t"), "abc");
}

TEST(CookieValue, KeepsAnUnmatchedQuote) {
    EXPECT_EQ(cookie_value(R"(t=")", "t"), "\"");
    EXPECT_EQ(cookie_value(R"(t="abc)", "t"), "\"abc");
}

TEST(CookieValue, ValueMayContainEqualsSigns) {
    EXPECT_EQ(cookie_value("t=eyJ==.x=; a=1", "t"), "eyJ==.x=");
}

TEST(CookieValue, SkipsEntriesWithoutEquals) {
    EXPECT_EQ(cookie_value("flag; t=1", "t"), "1");
    EXPECT_EQ(cookie_value("t; a=1", "t"), std::nullopt);
}

TEST(CookieValue, ReturnsTheFirstMatch) {
    EXPECT_EQ(cookie_value("t=1; t=2", "t"), "1");
}

TEST(CookieValue, EmptyValueIsPresentButEmpty) {
    EXPECT_EQ(cookie_value("t=; a=1", "t"), "");
}

// ---------------------------------------------------------------------------------------------
// bearer_token
// ---------------------------------------------------------------------------------------------

TEST(BearerToken, ReturnsTheToken) {
    EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
}

TEST(BearerToken, SchemeIsCaseInsensitive) {
    EXPECT_EQ(bearer_token("bearer abc"), "abc");
    EXPECT_EQ(bearer_token("BEARER abc"), "abc");
    EXPECT_EQ(bearer_token("bEaReR abc"), "abc");
}

TEST(BearerToken, ToleratesExtraSpaces) {
    EXPECT_EQ(bearer_token("  Bearer    abc  "), "abc");
}

TEST(BearerToken, RefusesOtherSchemes) {
    EXPECT_EQ(bearer_token("Basic dXNlcjpwdw=="), std::nullopt);
    EXPECT_EQ(bearer_token("Token abc"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearerx abc"), std::nullopt);
}

TEST(BearerToken, RefusesASchemeWithoutToken) {
    EXPECT_EQ(bearer_token("Bearer"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer    "), std::nullopt);
}

TEST(BearerToken, RefusesATokenWithoutScheme) {
    EXPECT_EQ(bearer_token("abc.def.ghi"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearerabc"), std::nullopt);
    EXPECT_EQ(bearer_token(""), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// extract_token: query > Authorization > cookie
// ---------------------------------------------------------------------------------------------

// The value extract_token found, or nothing.
std::optional<std::string> token_of(std::string_view target, std::string_view authorization,
                                    std::string_view cookie, std::string_view cookie_name) {
    auto found = extract_token(target, authorization, cookie, cookie_name);
    if (!found) return std::nullopt;
    return found->value;
}

TEST(ExtractToken, QueryBeatsHeaderAndCookie) {
    EXPECT_EQ(token_of("/ws?token=q", "Bearer h", "wsgw_token=c", "wsgw_token"), "q");
}

TEST(ExtractToken, HeaderBeatsCookie) {
    EXPECT_EQ(token_of("/ws", "Bearer h", "wsgw_token=c", "wsgw_token"), "h");
}

TEST(ExtractToken, CookieIsTheLastResort) {
    EXPECT_EQ(token_of("/ws?project_id=p1", "", "a=1; wsgw_token=c", "wsgw_token"), "c");
}

TEST(ExtractToken, EmptyQueryTokenFallsBackToTheHeader) {
    EXPECT_EQ(token_of("/ws?token=", "Bearer h", "", "wsgw_token"), "h");
}

TEST(ExtractToken, MalformedQueryTokenFallsBackToTheHeader) {
    EXPECT_EQ(token_of("/ws?token=%zz", "Bearer h", "", "wsgw_token"), "h");
}

TEST(ExtractToken, NonBearerHeaderFallsBackToTheCookie) {
    EXPECT_EQ(token_of("/ws", "Basic xyz", "wsgw_token=c", "wsgw_token"), "c");
}

TEST(ExtractToken, CookiesAreNotReadWhenTheCookieNameIsEmpty) {
    EXPECT_EQ(token_of("/ws", "", "=c; wsgw_token=c", ""), std::nullopt);
}

TEST(ExtractToken, EmptyCookieIsNoToken) {
    EXPECT_EQ(token_of("/ws", "", "wsgw_token=", "wsgw_token"), std::nullopt);
}

TEST(ExtractToken, ReadsTheConfiguredCookieName) {
    EXPECT_EQ(token_of("/ws", "", "wsgw_token=a; session=b", "session"), "b");
}

TEST(ExtractToken, NoSourceIsNoToken) {
    EXPECT_EQ(token_of("/ws", "", "", "wsgw_token"), std::nullopt);
}

TEST(ExtractToken, DecodesTheQueryToken) {
    EXPECT_EQ(token_of("/ws?token=a%2Eb.c", "", "", "wsgw_token"), "a.b.c");
}

}  // namespace

namespace {

TEST(ExtractToken, SaysWhereTheTokenCameFromSoACookieIsCheckedAsAnAmbientCredential) {
    EXPECT_EQ(extract_token("/ws?token=q", "Bearer h", "wsgw_token=c", "wsgw_token")->source, wsgw::TokenSource::query);
    EXPECT_EQ(extract_token("/ws", "Bearer h", "wsgw_token=c", "wsgw_token")->source, wsgw::TokenSource::header);
    EXPECT_EQ(extract_token("/ws", "", "wsgw_token=c", "wsgw_token")->source, wsgw::TokenSource::cookie);
}

TEST(JoinFieldLines, JoinsEveryLineInOrderAsOneList) {
    EXPECT_EQ(wsgw::join_field_lines(std::vector<std::string_view>{"203.0.113.9", "198.51.100.1, 10.0.0.2"}),
              "203.0.113.9, 198.51.100.1, 10.0.0.2");
    EXPECT_EQ(wsgw::join_field_lines(std::vector<std::string_view>{"1.2.3.4"}), "1.2.3.4");
    EXPECT_EQ(wsgw::join_field_lines(std::vector<std::string_view>{}), "");
}

}  // namespace
