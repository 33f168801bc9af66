// parse_http_url: scheme, host (IPv6 in brackets), port (defaults 80/443), target; no
// credentials, no fragment.
#include "wsgw/http_url.hpp"

#include <gtest/gtest.h>

namespace {

wsgw::HttpUrl parse_ok(std::string_view text) {
    std::string error;
    auto url = wsgw::parse_http_url(text, error);
    EXPECT_TRUE(url.has_value()) << text << ": " << error;
    return url.value_or(wsgw::HttpUrl{});
}

std::string parse_error(std::string_view text) {
    std::string error;
    auto url = wsgw::parse_http_url(text, error);
    EXPECT_FALSE(url.has_value()) << "accepted " << text;
    return error;
}

TEST(ParseHttpUrl, SplitsAKeycloakCertsUrl) {
    auto url = parse_ok("https://id.example.com/realms/app/protocol/openid-connect/certs");
    EXPECT_TRUE(url.tls);
    EXPECT_EQ(url.host, "id.example.com");
    EXPECT_EQ(url.port, 443);
    EXPECT_EQ(url.target, "/realms/app/protocol/openid-connect/certs");
    EXPECT_EQ(url.host_header(), "id.example.com");
}

TEST(ParseHttpUrl, PlainHttpDefaultsToPort80AndTargetSlash) {
    auto url = parse_ok("http://keys.internal");
    EXPECT_FALSE(url.tls);
    EXPECT_EQ(url.port, 80);
    EXPECT_EQ(url.target, "/");
}

TEST(ParseHttpUrl, KeepsAnExplicitPortAndTheQuery) {
    auto url = parse_ok("http://127.0.0.1:8081/jwks.json?v=2");
    EXPECT_EQ(url.host, "127.0.0.1");
    EXPECT_EQ(url.port, 8081);
    EXPECT_EQ(url.target, "/jwks.json?v=2");
    EXPECT_EQ(url.host_header(), "127.0.0.1:8081");
}

TEST(ParseHttpUrl, AQueryWithoutPathGetsASlash) {
    EXPECT_EQ(parse_ok("http://h?x=1").target, "/?x=1");
}

TEST(ParseHttpUrl, ReadsBracketedIpv6) {
    auto url = parse_ok("https://[::1]:8443/certs");
    EXPECT_EQ(url.host, "::1");
    EXPECT_EQ(url.port, 8443);
    EXPECT_EQ(url.host_header(), "[::1]:8443");
}

TEST(ParseHttpUrl, SchemeIsCaseInsensitive) { EXPECT_TRUE(parse_ok("HTTPS://h/").tls); }

TEST(ParseHttpUrl, RefusesOtherSchemes) {
    EXPECT_NE(parse_error("ftp://h/keys").find("http"), std::string::npos);
    parse_error("h/keys");
    parse_error("file:///etc/keys.json");
}

TEST(ParseHttpUrl, RefusesCredentials) {
    EXPECT_NE(parse_error("https://user:pass@h/certs").find("user:password@"), std::string::npos);
}

TEST(ParseHttpUrl, RefusesBadHostsAndPorts) {
    parse_error("https:///certs");
    parse_error("http://h:0/");
    parse_error("http://h:65536/");
    parse_error("http://h:x/");
    parse_error("http://h:/");
    parse_error("http://[::1/");
    parse_error("http://[::1]x/");
}

TEST(ParseHttpUrl, RefusesFragmentsSpacesAndOverlongUrls) {
    parse_error("http://h/certs#x");
    parse_error("http://h/ce rts");
    parse_error("http://h/\ncerts");
    parse_error("http://h/" + std::string(wsgw::kMaxUrlBytes, 'a'));
}

}  // namespace
