// request_token: where a client's token is found, and which source it came from.
#include "wsgw/request_token.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace {

using wsgw::extract_token;

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


TEST(ExtractToken, SaysWhereTheTokenCameFromSoACookieIsCheckedAsAnAmbientCredential) {
    EXPECT_EQ(extract_token("/ws?token=q", "Bearer h", "wsgw_token=c", "wsgw_token")->source, wsgw::TokenSource::query);
    EXPECT_EQ(extract_token("/ws", "Bearer h", "wsgw_token=c", "wsgw_token")->source, wsgw::TokenSource::header);
    EXPECT_EQ(extract_token("/ws", "", "wsgw_token=c", "wsgw_token")->source, wsgw::TokenSource::cookie);
}

}  // namespace
