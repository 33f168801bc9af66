// canonical_ip and TrustedProxies: which address a connection is counted and logged under.
#include "wsgw/client_address.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace {

using wsgw::canonical_ip;
using wsgw::TrustedProxies;

// The proxies for a list that must parse; a failure is reported and yields an empty set.
TrustedProxies proxies(std::string_view list) {
    std::string error;
    auto p = TrustedProxies::parse(list, error);
    if (!p) {
        ADD_FAILURE() << "'" << list << "' should parse, got error: " << error;
        return TrustedProxies{};
    }
    return *p;
}

// The error for a list that must be refused; empty (plus a failure) when it parses.
std::string parse_error(std::string_view list) {
    std::string error;
    auto p = TrustedProxies::parse(list, error);
    if (p) {
        ADD_FAILURE() << "'" << list << "' should be refused but parsed";
        return {};
    }
    EXPECT_FALSE(error.empty()) << "refusing '" << list << "' must say why";
    return error;
}

#define EXPECT_CONTAINS(p, address) EXPECT_TRUE((p).contains(address)) << "should contain " << (address)
#define EXPECT_LACKS(p, address) EXPECT_FALSE((p).contains(address)) << "should not contain " << (address)

// ---------------------------------------------------------------------------------------------
// canonical_ip
// ---------------------------------------------------------------------------------------------

TEST(CanonicalIp, KeepsAnIpv4Address) {
    EXPECT_EQ(canonical_ip("192.0.2.1"), "192.0.2.1");
    EXPECT_EQ(canonical_ip("0.0.0.0"), "0.0.0.0");
    EXPECT_EQ(canonical_ip("255.255.255.255"), "255.255.255.255");
}

TEST(CanonicalIp, CompressesAndLowercasesAnIpv6Address) {
    EXPECT_EQ(canonical_ip("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
    EXPECT_EQ(canonical_ip("::1"), "::1");
}

TEST(CanonicalIp, StripsIpv6Brackets) {
    EXPECT_EQ(canonical_ip("[2001:db8::1]"), "2001:db8::1");
    EXPECT_EQ(canonical_ip("[::1]"), "::1");
}

TEST(CanonicalIp, TurnsIpv4MappedIpv6IntoIpv4) {
    EXPECT_EQ(canonical_ip("::ffff:192.0.2.1"), "192.0.2.1");
    EXPECT_EQ(canonical_ip("::FFFF:c000:0201"), "192.0.2.1");
    EXPECT_EQ(canonical_ip("[::ffff:192.0.2.1]"), "192.0.2.1");
}

TEST(CanonicalIp, TrimsSurroundingWhitespace) {
    EXPECT_EQ(canonical_ip(" \t192.0.2.1 "), "192.0.2.1");
}

TEST(CanonicalIp, RefusesGarbage) {
    for (std::string_view text : {"", " ", "garbage", "example.com", "192.0.2", "192.0.2.256", "192.0.2.1.5",
                                  "192.0.2.1:80", "[2001:db8::1]:443", "2001:db8::g", "[::1", "::1]", "[]",
                                  "2001:db8:::1", "192.0.2.1/32"})
        EXPECT_EQ(canonical_ip(text), std::nullopt) << "'" << text << "' is not an address";
}

// ---------------------------------------------------------------------------------------------
// TrustedProxies::parse
// ---------------------------------------------------------------------------------------------

TEST(TrustedProxiesParse, EmptyListTrustsNobody) {
    auto p = proxies("");
    EXPECT_TRUE(p.empty());
    EXPECT_LACKS(p, "127.0.0.1");
}

TEST(TrustedProxiesParse, BlankEntriesAreSkipped) {
    EXPECT_TRUE(proxies(" , ,").empty());
    auto p = proxies("192.0.2.1,, 192.0.2.2 ,");
    EXPECT_CONTAINS(p, "192.0.2.1");
    EXPECT_CONTAINS(p, "192.0.2.2");
}

TEST(TrustedProxiesParse, AcceptsBareAddresses) {
    auto p = proxies("127.0.0.1, ::1, [2001:db8::5]");
    EXPECT_FALSE(p.empty());
    EXPECT_CONTAINS(p, "127.0.0.1");
    EXPECT_CONTAINS(p, "::1");
    EXPECT_CONTAINS(p, "2001:db8::5");
}

TEST(TrustedProxiesParse, AcceptsIpv4AndIpv6Cidrs) {
    auto p = proxies("10.0.0.0/8, fd00::/8");
    EXPECT_CONTAINS(p, "10.1.2.3");
    EXPECT_CONTAINS(p, "fd12:3456::1");
}

TEST(TrustedProxiesParse, AcceptsTheLongestPrefixes) {
    proxies("192.0.2.1/32");
    proxies("2001:db8::1/128");
}

TEST(TrustedProxiesParse, RefusesAnIpv4PrefixLongerThan32) {
    parse_error("10.0.0.0/33");
}

TEST(TrustedProxiesParse, RefusesAnIpv6PrefixLongerThan128) {
    parse_error("fd00::/129");
}

TEST(TrustedProxiesParse, RefusesAMalformedPrefixLength) {
    for (std::string_view list : {"10.0.0.0/", "10.0.0.0/x", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8.5",
                                  "10.0.0.0/0008", "10.0.0.0/ 8", "10.0.0.0/8/8"})
        parse_error(list);
}

TEST(TrustedProxiesParse, RefusesGarbage) {
    for (std::string_view list : {"garbage", "proxy.internal", "10.0.0", "10.0.0.0.0/8", "/8", "10.0.0.256"})
        parse_error(list);
}

TEST(TrustedProxiesParse, OneBadEntryRefusesTheWholeList) {
    parse_error("10.0.0.0/8, nonsense, ::1");
}

TEST(TrustedProxiesParse, ErrorNamesTheOffendingEntry) {
    auto error = parse_error("10.0.0.0/8, 192.0.2.0/40");
    EXPECT_NE(error.find("192.0.2.0/40"), std::string::npos) << "error was: " << error;
}

// ---------------------------------------------------------------------------------------------
// TrustedProxies::contains
// ---------------------------------------------------------------------------------------------

TEST(TrustedProxiesContains, Ipv4RangeIncludesBothEnds) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_CONTAINS(p, "10.0.0.0");
    EXPECT_CONTAINS(p, "10.255.255.255");
}

TEST(TrustedProxiesContains, Ipv4RangeExcludesItsNeighbours) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_LACKS(p, "9.255.255.255");
    EXPECT_LACKS(p, "11.0.0.0");
}

TEST(TrustedProxiesContains, PrefixNotOnAByteBoundary) {
    auto p = proxies("192.168.0.0/20");
    EXPECT_CONTAINS(p, "192.168.0.0");
    EXPECT_CONTAINS(p, "192.168.15.255");
    EXPECT_LACKS(p, "192.168.16.0");
    EXPECT_LACKS(p, "192.167.255.255");
}

TEST(TrustedProxiesContains, Slash32IsOneAddress) {
    auto p = proxies("192.0.2.1/32");
    EXPECT_CONTAINS(p, "192.0.2.1");
    EXPECT_LACKS(p, "192.0.2.0");
    EXPECT_LACKS(p, "192.0.2.2");
}

TEST(TrustedProxiesContains, BareAddressIsOneAddress) {
    auto p = proxies("192.0.2.1");
    EXPECT_CONTAINS(p, "192.0.2.1");
    EXPECT_LACKS(p, "192.0.2.2");
}

TEST(TrustedProxiesContains, Ipv4Slash0IsEveryIpv4Address) {
    auto p = proxies("0.0.0.0/0");
    EXPECT_CONTAINS(p, "0.0.0.0");
    EXPECT_CONTAINS(p, "203.0.113.9");
    EXPECT_CONTAINS(p, "255.255.255.255");
}

TEST(TrustedProxiesContains, Ipv4RangeNeverMatchesIpv6) {
    auto p = proxies("0.0.0.0/0");
    EXPECT_LACKS(p, "::1");
    EXPECT_LACKS(p, "2001:db8::1");
    EXPECT_LACKS(p, "::");
}

TEST(TrustedProxiesContains, Ipv6RangeNeverMatchesIpv4) {
    auto p = proxies("::/0");
    EXPECT_CONTAINS(p, "2001:db8::1");
    EXPECT_LACKS(p, "10.0.0.1");
}

TEST(TrustedProxiesContains, Ipv6RangeIncludesBothEndsAndExcludesNeighbours) {
    auto p = proxies("2001:db8::/32");
    EXPECT_CONTAINS(p, "2001:db8::");
    EXPECT_CONTAINS(p, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
    EXPECT_LACKS(p, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff");
    EXPECT_LACKS(p, "2001:db9::");
}

TEST(TrustedProxiesContains, Slash128IsOneAddress) {
    auto p = proxies("2001:db8::1/128");
    EXPECT_CONTAINS(p, "2001:db8::1");
    EXPECT_LACKS(p, "2001:db8::2");
    EXPECT_LACKS(p, "2001:db8::");
}

TEST(TrustedProxiesContains, Ipv4MappedAddressIsCheckedAgainstIpv4Ranges) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_CONTAINS(p, "::ffff:10.1.2.3");
    EXPECT_LACKS(p, "::ffff:11.0.0.0");
}

TEST(TrustedProxiesContains, BracketedIpv6IsUnderstood) {
    EXPECT_CONTAINS(proxies("fd00::/8"), "[fd00::7]");
}

TEST(TrustedProxiesContains, GarbageIsNeverContained) {
    auto p = proxies("0.0.0.0/0, ::/0");
    EXPECT_LACKS(p, "");
    EXPECT_LACKS(p, "unknown");
    EXPECT_LACKS(p, "10.0.0.1:80");
}

// ---------------------------------------------------------------------------------------------
// TrustedProxies::resolve
// ---------------------------------------------------------------------------------------------

constexpr std::string_view kProxy = "10.0.0.1";  // in the trusted 10.0.0.0/8 below
constexpr std::string_view kClient = "198.51.100.7";

TEST(TrustedProxiesResolve, WithoutProxiesReturnsThePeer) {
    TrustedProxies none;
    EXPECT_EQ(none.resolve("203.0.113.9", "198.51.100.7", "192.0.2.99"), "203.0.113.9")
        << "with no trusted proxy, the headers are client-controlled";
}

TEST(TrustedProxiesResolve, UntrustedPeerIgnoresXForwardedFor) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve("203.0.113.9", "198.51.100.7", ""), "203.0.113.9");
}

TEST(TrustedProxiesResolve, UntrustedPeerIgnoresXRealIp) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve("203.0.113.9", "", "198.51.100.7"), "203.0.113.9");
}

TEST(TrustedProxiesResolve, TrustedPeerTakesTheForwardedClient) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, kClient, ""), kClient);
}

TEST(TrustedProxiesResolve, TakesTheRightMostUntrustedHop) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, "6.6.6.6, 198.51.100.7", ""), kClient)
        << "hops left of the first untrusted one were written by the client and may be forged";
}

TEST(TrustedProxiesResolve, SkipsTrustedHopsFromTheRight) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, "6.6.6.6, 198.51.100.7, 10.0.0.3, 10.0.0.2", ""), kClient);
}

TEST(TrustedProxiesResolve, AllTrustedChainReturnsTheLeftMostHop) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, "10.0.0.4, 10.0.0.3, 10.0.0.2", ""), "10.0.0.4");
}

TEST(TrustedProxiesResolve, MalformedHopStopsAtTheLastGoodTrustedHop) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, "198.51.100.7, bogus, 10.0.0.2", ""), "10.0.0.2")
        << "nothing left of an unparseable hop can be believed";
}

TEST(TrustedProxiesResolve, MalformedRightMostHopReturnsThePeer) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, "198.51.100.7, bogus", ""), kProxy);
    EXPECT_EQ(p.resolve(kProxy, "198.51.100.7,", ""), kProxy) << "an empty hop is malformed too";
}

TEST(TrustedProxiesResolve, CanonicalisesTheForwardedAddress) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, " 2001:DB8:0::7 ", ""), "2001:db8::7");
    EXPECT_EQ(p.resolve(kProxy, "[2001:db8::7]", ""), "2001:db8::7");
    EXPECT_EQ(p.resolve(kProxy, "::ffff:198.51.100.7", ""), kClient);
}

TEST(TrustedProxiesResolve, ToleratesWhitespaceBetweenHops) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, "6.6.6.6 ,\t198.51.100.7\t,10.0.0.2  ", ""), kClient);
}

TEST(TrustedProxiesResolve, UsesXRealIpWhenXForwardedForIsAbsent) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, "", kClient), kClient);
    EXPECT_EQ(p.resolve(kProxy, "  ", kClient), kClient) << "a blank X-Forwarded-For counts as absent";
}

TEST(TrustedProxiesResolve, IgnoresXRealIpWhenXForwardedForIsPresent) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, kClient, "192.0.2.99"), kClient);
}

TEST(TrustedProxiesResolve, MalformedXRealIpReturnsThePeer) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, "", "bogus"), kProxy);
}

TEST(TrustedProxiesResolve, CanonicalisesXRealIp) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, "", "[2001:DB8::7]"), "2001:db8::7");
}

TEST(TrustedProxiesResolve, TrustedPeerWithoutHeadersIsItself) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve(kProxy, "", ""), kProxy);
}

TEST(TrustedProxiesResolve, CanonicalisesThePeer) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve("::ffff:203.0.113.9", "", ""), "203.0.113.9");
    EXPECT_EQ(p.resolve("2001:DB8::9", "", ""), "2001:db8::9");
}

TEST(TrustedProxiesResolve, Ipv4MappedPeerIsTrustedByAnIpv4Range) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve("::ffff:10.0.0.1", kClient, ""), kClient);
}

TEST(TrustedProxiesResolve, UnparseablePeerIsReturnedAsIs) {
    auto p = proxies("10.0.0.0/8");
    EXPECT_EQ(p.resolve("unknown", kClient, kClient), "unknown") << "an unknown peer is never a trusted proxy";
}

}  // namespace
