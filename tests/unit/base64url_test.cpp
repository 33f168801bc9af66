// base64url_decode: the URL-safe alphabet, padding optional, anything else refused.
#include "wsgw/base64url.hpp"

#include <gtest/gtest.h>

namespace {

TEST(Base64urlDecode, DecodesUnpaddedAndPaddedInput) {
    EXPECT_EQ(wsgw::base64url_decode("aGVsbG8"), "hello");
    EXPECT_EQ(wsgw::base64url_decode("aGVsbG8="), "hello");
    EXPECT_EQ(wsgw::base64url_decode(""), "");
}

TEST(Base64urlDecode, UsesTheUrlSafeAlphabet) {
    EXPECT_EQ(wsgw::base64url_decode("-_8"), std::string("\xfb\xff", 2));
    EXPECT_FALSE(wsgw::base64url_decode("+/8").has_value());
}

TEST(Base64urlDecode, RefusesImpossibleLengthsAndForeignCharacters) {
    EXPECT_FALSE(wsgw::base64url_decode("a").has_value());
    EXPECT_FALSE(wsgw::base64url_decode("aGVs bG8").has_value());
    EXPECT_FALSE(wsgw::base64url_decode("aGVs\nbG8").has_value());
}

}  // namespace
