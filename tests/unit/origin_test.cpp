// OriginPolicy: parsing the allowlist and deciding which Origin headers may open a socket.
#include "wsgw/origin.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace {

using wsgw::OriginPolicy;

// The policy for a list that must parse; a parse failure is reported and yields a policy that
// refuses nothing, so the test's own expectations then fail loudly too.
OriginPolicy policy(std::string_view list) {
    std::string error;
    auto p = OriginPolicy::parse(list, error);
    if (!p) {
        ADD_FAILURE() << "'" << list << "' should parse, got error: " << error;
        return OriginPolicy{};
    }
    return *p;
}

// The error for a list that must be refused; empty (plus a failure) when it parses.
std::string parse_error(std::string_view list) {
    std::string error;
    auto p = OriginPolicy::parse(list, error);
    if (p) {
        ADD_FAILURE() << "'" << list << "' should be refused but parsed";
        return {};
    }
    EXPECT_FALSE(error.empty()) << "refusing '" << list << "' must say why";
    return error;
}

#define EXPECT_ALLOWS(p, origin) EXPECT_TRUE((p).allows(std::string_view(origin))) << "should allow " << (origin)
#define EXPECT_REFUSES(p, origin) EXPECT_FALSE((p).allows(std::string_view(origin))) << "should refuse " << (origin)

// ---------------------------------------------------------------------------------------------
// Parsing the allowlist
// ---------------------------------------------------------------------------------------------

TEST(OriginPolicyParse, AcceptsExactAndWildcardEntries) {
    auto p = policy("https://app.example.com, http://localhost:8080, https://*.example.org");
    EXPECT_TRUE(p.enabled());
}

TEST(OriginPolicyParse, RefusesAnEntryWithoutAScheme) {
    parse_error("app.example.com");
    parse_error("://app.example.com");
}

TEST(OriginPolicyParse, RefusesAnEntryWithAPath) {
    parse_error("https://app.example.com/");
    parse_error("https://app.example.com/login");
}

TEST(OriginPolicyParse, RefusesAnEntryWithUserinfo) {
    parse_error("https://user@app.example.com");
    parse_error("https://user:secret@app.example.com");
}

TEST(OriginPolicyParse, RefusesAnEntryWithABadPort) {
    parse_error("https://app.example.com:");
    parse_error("https://app.example.com:https");
    parse_error("https://app.example.com:44a");
    parse_error("https://app.example.com:123456");
}

TEST(OriginPolicyParse, RefusesAWildcardAnywhereButTheFirstLabel) {
    parse_error("https://app.*.example.com");
    parse_error("https://app.example.*");
    parse_error("https://*app.example.com");
    parse_error("https://a*.example.com");
}

TEST(OriginPolicyParse, RefusesAWildcardStandingForTheWholeHost) {
    parse_error("https://*");
    parse_error("https://*.");
    parse_error("https://*:443");
}

TEST(OriginPolicyParse, RefusesAnEntryWithoutAHost) {
    parse_error("https://");
    parse_error("https://:443");
}

TEST(OriginPolicyParse, ErrorNamesTheOffendingEntry) {
    auto error = parse_error("https://good.example.com, https://bad.example.com/path");
    EXPECT_NE(error.find("https://bad.example.com/path"), std::string::npos) << "error was: " << error;
}

TEST(OriginPolicyParse, OneBadEntryRefusesTheWholeList) {
    parse_error("https://a.example.com, nonsense, https://b.example.com");
}

TEST(OriginPolicyParse, IgnoresWhitespaceAroundEntries) {
    auto p = policy("  https://a.example.com ,\thttps://b.example.com\t,   https://c.example.com  ");
    EXPECT_ALLOWS(p, "https://a.example.com");
    EXPECT_ALLOWS(p, "https://b.example.com");
    EXPECT_ALLOWS(p, "https://c.example.com");
}

TEST(OriginPolicyParse, SkipsEmptyEntries) {
    auto p = policy("https://a.example.com,, ,https://b.example.com,");
    EXPECT_ALLOWS(p, "https://a.example.com");
    EXPECT_ALLOWS(p, "https://b.example.com");
    EXPECT_REFUSES(p, "https://c.example.com");
}

// ---------------------------------------------------------------------------------------------
// Disabled check
// ---------------------------------------------------------------------------------------------

TEST(OriginPolicy, DefaultPolicyIsDisabledAndAllowsAnything) {
    OriginPolicy p;
    EXPECT_FALSE(p.enabled());
    EXPECT_ALLOWS(p, "https://evil.example.net");
    EXPECT_ALLOWS(p, "null");
}

TEST(OriginPolicy, EmptyListDisablesTheCheck) {
    auto p = policy("");
    EXPECT_FALSE(p.enabled()) << "an empty allowlist means no check, not 'refuse everyone'";
    EXPECT_ALLOWS(p, "https://anything.example.net");
}

// ---------------------------------------------------------------------------------------------
// Exact entries
// ---------------------------------------------------------------------------------------------

TEST(OriginPolicy, AllowsAnExactlyListedOrigin) {
    auto p = policy("https://app.example.com");
    EXPECT_ALLOWS(p, "https://app.example.com");
}

TEST(OriginPolicy, RefusesAnUnlistedOrigin) {
    auto p = policy("https://app.example.com");
    EXPECT_REFUSES(p, "https://evil.example.net");
    EXPECT_REFUSES(p, "https://other.example.com");
}

TEST(OriginPolicy, ComparesSchemeAndHostWithoutCase) {
    auto p = policy("HTTPS://App.Example.COM");
    EXPECT_ALLOWS(p, "https://app.example.com");
    EXPECT_ALLOWS(p, "Https://APP.EXAMPLE.com");
}

TEST(OriginPolicy, SchemeMustMatch) {
    auto p = policy("https://app.example.com");
    EXPECT_REFUSES(p, "http://app.example.com");
    EXPECT_REFUSES(p, "wss://app.example.com");
}

TEST(OriginPolicy, ExactEntryDoesNotMatchSubdomainsOrSuffixes) {
    auto p = policy("https://example.com");
    EXPECT_REFUSES(p, "https://app.example.com");
    EXPECT_REFUSES(p, "https://evilexample.com");
    EXPECT_REFUSES(p, "https://example.com.evil.net");
}

TEST(OriginPolicy, HttpsDefaultPortEqualsExplicit443) {
    EXPECT_ALLOWS(policy("https://app.example.com"), "https://app.example.com:443");
    EXPECT_ALLOWS(policy("https://app.example.com:443"), "https://app.example.com");
}

TEST(OriginPolicy, HttpDefaultPortEqualsExplicit80) {
    EXPECT_ALLOWS(policy("http://app.example.com"), "http://app.example.com:80");
    EXPECT_ALLOWS(policy("http://app.example.com:80"), "http://app.example.com");
}

TEST(OriginPolicy, DefaultPortIsThatOfTheScheme) {
    EXPECT_REFUSES(policy("https://app.example.com"), "https://app.example.com:80");
    EXPECT_REFUSES(policy("http://app.example.com"), "http://app.example.com:443");
}

TEST(OriginPolicy, PortMustMatch) {
    auto p = policy("http://localhost:8080");
    EXPECT_ALLOWS(p, "http://localhost:8080");
    EXPECT_REFUSES(p, "http://localhost:8081");
    EXPECT_REFUSES(p, "http://localhost");
}

TEST(OriginPolicy, Ipv6LiteralWithAPortMatchesOnlyThatPort) {
    auto p = policy("http://[::1]:8080");
    EXPECT_ALLOWS(p, "http://[::1]:8080");
    EXPECT_REFUSES(p, "http://[::1]:8081");
}

// Browsers omit the default port when they serialise an Origin, so an entry written with it
// must still match. Works for names (above); an IPv6 literal should behave the same.
TEST(OriginPolicy, Ipv6LiteralDefaultPortEqualsExplicitPort) {
    EXPECT_ALLOWS(policy("https://[::1]:443"), "https://[::1]")
        << ": the port of a bracketed IPv6 host is not split off, so it is compared as part of the host";
    EXPECT_ALLOWS(policy("https://[::1]"), "https://[::1]:443");
}

TEST(OriginPolicy, AnyListedEntryMayMatch) {
    auto p = policy("https://a.example.com, http://localhost:3000, https://*.example.org");
    EXPECT_ALLOWS(p, "https://a.example.com");
    EXPECT_ALLOWS(p, "http://localhost:3000");
    EXPECT_ALLOWS(p, "https://x.example.org");
    EXPECT_REFUSES(p, "http://localhost:3001");
}

// ---------------------------------------------------------------------------------------------
// Wildcard entries
// ---------------------------------------------------------------------------------------------

TEST(OriginPolicy, WildcardMatchesOneLabel) {
    EXPECT_ALLOWS(policy("https://*.example.com"), "https://app.example.com");
}

TEST(OriginPolicy, WildcardMatchesSeveralLabels) {
    EXPECT_ALLOWS(policy("https://*.example.com"), "https://a.b.c.example.com");
}

TEST(OriginPolicy, WildcardDoesNotMatchTheApexDomain) {
    EXPECT_REFUSES(policy("https://*.example.com"), "https://example.com");
}

TEST(OriginPolicy, WildcardDoesNotMatchALookalikeSuffix) {
    auto p = policy("https://*.example.com");
    EXPECT_REFUSES(p, "https://evilexample.com");
    EXPECT_REFUSES(p, "https://app.evilexample.com");
    EXPECT_REFUSES(p, "https://app.example.com.evil.net");
}

TEST(OriginPolicy, WildcardDoesNotMatchAnEmptyLabel) {
    EXPECT_REFUSES(policy("https://*.example.com"), "https://.example.com");
}

TEST(OriginPolicy, WildcardHostIsComparedWithoutCase) {
    EXPECT_ALLOWS(policy("https://*.Example.COM"), "https://APP.example.com");
}

TEST(OriginPolicy, WildcardStillRequiresSchemeAndPort) {
    auto p = policy("https://*.example.com");
    EXPECT_REFUSES(p, "http://app.example.com");
    EXPECT_REFUSES(p, "https://app.example.com:8443");
    EXPECT_ALLOWS(p, "https://app.example.com:443");
}

TEST(OriginPolicy, WildcardInTheRequestIsNotAWildcard) {
    auto p = policy("https://*.example.com, https://app.example.com");
    EXPECT_REFUSES(p, "https://*.example.com") << ": a client cannot claim to be every subdomain";
}

// ---------------------------------------------------------------------------------------------
// Odd Origin headers
// ---------------------------------------------------------------------------------------------

TEST(OriginPolicy, RefusesTheNullOrigin) {
    auto p = policy("https://app.example.com");
    EXPECT_REFUSES(p, "null") << ": sandboxed iframes and file:// pages send 'null'";
}

TEST(OriginPolicy, AllowsAMissingOrigin) {
    auto p = policy("https://app.example.com");
    EXPECT_TRUE(p.allows(std::nullopt)) << "non-browser clients send no Origin and could forge one anyway";
}

TEST(OriginPolicy, RefusesAnEmptyOrigin) {
    EXPECT_REFUSES(policy("https://app.example.com"), "");
}

TEST(OriginPolicy, RefusesGarbageOrigins) {
    auto p = policy("https://app.example.com");
    EXPECT_REFUSES(p, "app.example.com");
    EXPECT_REFUSES(p, "https://app.example.com/");
    EXPECT_REFUSES(p, "https://user@app.example.com");
    EXPECT_REFUSES(p, "https://app.example.com:abc");
}

TEST(OriginPolicy, ToleratesWhitespaceAroundTheOriginHeader) {
    EXPECT_ALLOWS(policy("https://app.example.com"), "  https://app.example.com\t");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// check_ambient: a cookie token is believed only from the request's own origin or a listed one
// ---------------------------------------------------------------------------------------------
namespace {

using Ambient = wsgw::OriginPolicy::Ambient;

TEST(AmbientCredential, WithAnEmptyListOnlyTheRequestsOwnOriginIsAllowed) {
    wsgw::OriginPolicy open;
    EXPECT_EQ(open.check_ambient("https://gw.example", "gw.example", ""), Ambient::allowed);
    EXPECT_EQ(open.check_ambient("https://gw.example", "gw.example:443", ""), Ambient::allowed);
    EXPECT_EQ(open.check_ambient("http://localhost:8080", "localhost:8080", ""), Ambient::allowed);
    EXPECT_EQ(open.check_ambient("HTTPS://GW.Example", "gw.example", ""), Ambient::allowed);
    EXPECT_EQ(open.check_ambient("http://[::1]:8080", "[::1]:8080", ""), Ambient::allowed);
}

TEST(AmbientCredential, WithAnEmptyListAnotherSiteIsRefused) {
    wsgw::OriginPolicy open;
    EXPECT_EQ(open.check_ambient("https://evil.example", "gw.example", ""), Ambient::origin_not_allowed);
    EXPECT_EQ(open.check_ambient("https://gw.example.evil.example", "gw.example", ""), Ambient::origin_not_allowed);
    EXPECT_EQ(open.check_ambient("http://gw.example:8080", "gw.example:8081", ""), Ambient::origin_not_allowed);
    EXPECT_EQ(open.check_ambient("https://gw.example", "gw.example:8443", ""), Ambient::origin_not_allowed);
    EXPECT_EQ(open.check_ambient("null", "gw.example", ""), Ambient::origin_not_allowed);
    EXPECT_EQ(open.check_ambient("", "gw.example", ""), Ambient::origin_not_allowed);
    EXPECT_EQ(open.check_ambient("https://gw.example", "", ""), Ambient::origin_not_allowed);
    EXPECT_EQ(open.check_ambient("https://gw.example", "gw.example/evil", ""), Ambient::origin_not_allowed);
}

TEST(AmbientCredential, WithAListOnlyListedOriginsAreAllowedNotEvenTheOwnOne) {
    auto listed = policy("https://app.example");
    EXPECT_EQ(listed.check_ambient("https://app.example", "gw.example", ""), Ambient::allowed);
    EXPECT_EQ(listed.check_ambient("https://gw.example", "gw.example", ""), Ambient::origin_not_allowed);
    EXPECT_EQ(listed.check_ambient("https://evil.example", "evil.example", ""), Ambient::origin_not_allowed);
}

TEST(AmbientCredential, WithoutAnOriginOnlyCrossSiteAndSameSiteFetchesAreRefused) {
    wsgw::OriginPolicy open;
    EXPECT_EQ(open.check_ambient(std::nullopt, "gw.example", "cross-site"), Ambient::cross_site_without_origin);
    EXPECT_EQ(open.check_ambient(std::nullopt, "gw.example", " Cross-Site "), Ambient::cross_site_without_origin);
    EXPECT_EQ(open.check_ambient(std::nullopt, "gw.example", "same-site"), Ambient::cross_site_without_origin);
    EXPECT_EQ(open.check_ambient(std::nullopt, "gw.example", "same-origin"), Ambient::allowed);
    EXPECT_EQ(open.check_ambient(std::nullopt, "gw.example", "none"), Ambient::allowed);
    EXPECT_EQ(open.check_ambient(std::nullopt, "gw.example", ""), Ambient::allowed) << "not a browser";
}

}  // namespace
