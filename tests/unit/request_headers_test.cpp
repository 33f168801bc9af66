// request_headers: Host, list-valued fields on several lines, cookies, the bearer token.
#include "wsgw/request_headers.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace {

using wsgw::bearer_token;
using wsgw::cookie_value;
using wsgw::host_field_error;

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

TEST(JoinFieldLines, JoinsEveryLineInOrderAsOneList) {
    EXPECT_EQ(wsgw::join_field_lines(std::vector<std::string_view>{"203.0.113.9", "198.51.100.1, 10.0.0.2"}),
              "203.0.113.9, 198.51.100.1, 10.0.0.2");
    EXPECT_EQ(wsgw::join_field_lines(std::vector<std::string_view>{"1.2.3.4"}), "1.2.3.4");
    EXPECT_EQ(wsgw::join_field_lines(std::vector<std::string_view>{}), "");
}

TEST(LastListItem, IsWhatTheNearestProxyAdded) {
    EXPECT_EQ(wsgw::last_list_item("a.example, b.example:8443"), "b.example:8443");
    EXPECT_EQ(wsgw::last_list_item(" only.example "), "only.example");
    EXPECT_EQ(wsgw::last_list_item("a.example,"), "");
    EXPECT_EQ(wsgw::last_list_item(""), "");
}

}  // namespace
