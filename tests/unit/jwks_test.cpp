// parse_jwks: RSA and EC P-256 signature keys kept by kid; every other entry skipped with its
// reason; a document that is too large, not a key set, or without a usable key is an error.
// The keys are made for the run with OpenSSL (tests/common/test_keys.hpp).
#include "wsgw/jwks.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "../common/test_keys.hpp"

namespace {

using json = nlohmann::json;
using wsgw::JwkSkipReason;
namespace keys = wsgw::test_keys;

const keys::KeyPair& rsa() {
    static const auto k = keys::make_rsa("rsa-1");
    return k;
}
const keys::KeyPair& ec() {
    static const auto k = keys::make_ec("ec-1");
    return k;
}

std::string doc(std::initializer_list<json> entries) {
    return json{{"keys", json::array_t(entries)}}.dump();
}

std::string skips(const wsgw::JwksParse& p) {
    std::string out;
    for (const auto& s : p.skipped) out += " " + s.kid + ":" + std::string(wsgw::to_string(s.reason));
    return out.empty() ? " (none)" : out;
}

// The one skip reason expected for a document of `bad` next to a good key.
void expect_skipped(const json& bad, JwkSkipReason reason) {
    auto p = wsgw::parse_jwks(doc({rsa().jwk, bad}));
    ASSERT_TRUE(p.ok()) << p.error;
    EXPECT_EQ(p.keys.keys.size(), 1u) << "only the good key stays;" << skips(p);
    ASSERT_EQ(p.skipped.size(), 1u) << skips(p);
    EXPECT_EQ(wsgw::to_string(p.skipped[0].reason), wsgw::to_string(reason)) << bad.dump();
}

TEST(ParseJwks, KeepsRsaAndEcKeysByKidWithTheirAlgorithms) {
    auto p = wsgw::parse_jwks(keys::jwks_of({&rsa(), &ec()}));
    ASSERT_TRUE(p.ok()) << p.error;
    EXPECT_TRUE(p.skipped.empty()) << skips(p);
    ASSERT_NE(p.keys.find("rsa-1"), nullptr);
    ASSERT_NE(p.keys.find("ec-1"), nullptr);
    EXPECT_EQ(p.keys.find("rsa-1")->algorithm, wsgw::JwtAlgorithm::rs256);
    EXPECT_EQ(p.keys.find("ec-1")->algorithm, wsgw::JwtAlgorithm::es256);
    EXPECT_NE(p.keys.find("rsa-1")->public_key_pem.find("-----BEGIN PUBLIC KEY-----"), std::string::npos);
    EXPECT_EQ(p.keys.find("rsa-2"), nullptr);
}

TEST(ParseJwks, AcceptsKeysWithoutAlgOrUse) {
    auto k = rsa().jwk;
    k.erase("alg");
    k.erase("use");
    auto p = wsgw::parse_jwks(doc({k}));
    ASSERT_TRUE(p.ok()) << p.error;
    EXPECT_NE(p.keys.find("rsa-1"), nullptr);
}

TEST(ParseJwks, IgnoresUnknownMembersAndTopLevelFields) {
    auto k = ec().jwk;
    k["x5c"] = json::array({"MIIB..."});
    k["key_ops"] = json::array({"verify"});
    auto p = wsgw::parse_jwks(json{{"keys", json::array({k})}, {"extra", true}}.dump());
    ASSERT_TRUE(p.ok()) << p.error;
    EXPECT_NE(p.keys.find("ec-1"), nullptr);
}

TEST(ParseJwks, SkipsAKeyWithoutKid) {
    auto k = ec().jwk;
    k.erase("kid");
    expect_skipped(k, JwkSkipReason::no_kid);
}

TEST(ParseJwks, SkipsAKeyWithAnEmptyOrOverlongOrNonStringKid) {
    for (json kid : {json(""), json(std::string(wsgw::kMaxJwksKidBytes + 1, 'k')), json(7)}) {
        auto k = ec().jwk;
        k["kid"] = kid;
        expect_skipped(k, JwkSkipReason::no_kid);
    }
}

TEST(ParseJwks, SkipsAnUnknownKty) {
    expect_skipped(json{{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}}, JwkSkipReason::unsupported_kty);
    expect_skipped(json{{"kty", "OKP"}, {"kid", "ed"}, {"crv", "Ed25519"}, {"x", "AAAA"}}, JwkSkipReason::unsupported_kty);
    expect_skipped(json{{"kid", "no-kty"}}, JwkSkipReason::unsupported_kty);
}

TEST(ParseJwks, SkipsAnEcKeyOnAnotherCurve) {
    static const auto p384 = keys::make_ec("ec-384", "P-384");
    expect_skipped(p384.jwk, JwkSkipReason::unsupported_curve);
}

TEST(ParseJwks, SkipsAKeyWhoseAlgDoesNotMatchItsType) {
    auto k = rsa().jwk;
    k["kid"] = "rsa-ps";
    k["alg"] = "PS256";
    expect_skipped(k, JwkSkipReason::unsupported_alg);
    auto e = ec().jwk;
    e["alg"] = "RS256";
    expect_skipped(e, JwkSkipReason::unsupported_alg);
}

TEST(ParseJwks, SkipsEncryptionKeys) {
    auto k = rsa().jwk;
    k["kid"] = "enc-1";
    k["use"] = "enc";
    k.erase("alg");
    expect_skipped(k, JwkSkipReason::not_for_signing);
}

TEST(ParseJwks, SkipsBadBase64url) {
    auto k = ec().jwk;
    k["x"] = "not base64url!";
    expect_skipped(k, JwkSkipReason::bad_encoding);
    auto r = rsa().jwk;
    r["kid"] = "rsa-x";
    r["n"] = "abc+def/";  // the plain base64 alphabet is not base64url
    expect_skipped(r, JwkSkipReason::bad_encoding);
    auto m = rsa().jwk;
    m["kid"] = "rsa-y";
    m.erase("e");
    expect_skipped(m, JwkSkipReason::bad_encoding);
}

TEST(ParseJwks, SkipsAnRsaKeyShorterThan2048Bits) {
    static const auto weak = keys::make_rsa("rsa-1024", 1024);
    expect_skipped(weak.jwk, JwkSkipReason::bad_key);
}

TEST(ParseJwks, SkipsAnEcPointOffTheCurve) {
    auto k = ec().jwk;
    auto x = k["x"].get<std::string>();
    x[5] = x[5] == 'A' ? 'B' : 'A';
    k["x"] = x;
    expect_skipped(k, JwkSkipReason::bad_key);
}

TEST(ParseJwks, SkipsAnEcCoordinateOfTheWrongLength) {
    auto k = ec().jwk;
    k["y"] = keys::base64url(std::string(31, '\x01'));
    expect_skipped(k, JwkSkipReason::bad_key);
}

TEST(ParseJwks, SkipsEveryKeySharingAKid) {
    auto twin = ec().jwk;
    twin["kid"] = "rsa-1";
    auto p = wsgw::parse_jwks(doc({rsa().jwk, twin, ec().jwk}));
    ASSERT_TRUE(p.ok()) << p.error;
    EXPECT_EQ(p.keys.find("rsa-1"), nullptr) << "which key a token naming rsa-1 means is ambiguous";
    EXPECT_NE(p.keys.find("ec-1"), nullptr);
    ASSERT_EQ(p.skipped.size(), 2u) << skips(p);
    for (const auto& s : p.skipped) EXPECT_EQ(s.reason, JwkSkipReason::duplicate_kid);
}

TEST(ParseJwks, SkipsEntriesThatAreNotObjects) {
    auto p = wsgw::parse_jwks(json{{"keys", json::array({rsa().jwk, 1, "x", nullptr})}}.dump());
    ASSERT_TRUE(p.ok()) << p.error;
    EXPECT_EQ(p.skipped.size(), 3u) << skips(p);
}

TEST(ParseJwks, ReadsNoMoreThanTheKeyLimit) {
    json list = json::array();
    for (std::size_t i = 0; i < wsgw::kMaxJwksKeys + 3; ++i) {
        auto k = ec().jwk;
        k["kid"] = "ec-" + std::to_string(i);
        list.push_back(k);
    }
    auto p = wsgw::parse_jwks(json{{"keys", list}}.dump());
    ASSERT_TRUE(p.ok()) << p.error;
    EXPECT_EQ(p.keys.keys.size(), wsgw::kMaxJwksKeys);
    ASSERT_EQ(p.skipped.size(), 3u);
    EXPECT_EQ(p.skipped[0].reason, JwkSkipReason::too_many_keys);
}

TEST(ParseJwks, RefusesAnOversizedDocument) {
    std::string big = keys::jwks_of({&rsa()});
    big.insert(big.size() - 1, ",\"pad\":\"" + std::string(wsgw::kMaxJwksDocumentBytes, 'x') + "\"");
    auto p = wsgw::parse_jwks(big);
    EXPECT_FALSE(p.ok());
    EXPECT_NE(p.error.find("larger"), std::string::npos) << p.error;
    EXPECT_TRUE(p.keys.keys.empty());
}

TEST(ParseJwks, RefusesDocumentsThatAreNotKeySets) {
    for (std::string_view text : {"", "not json", "[]", "{}", R"({"keys":{}})", R"({"keys":"x"})", "{\"keys\":[", "null"}) {
        auto p = wsgw::parse_jwks(text);
        EXPECT_FALSE(p.ok()) << "accepted: " << text;
        EXPECT_TRUE(p.keys.keys.empty());
    }
}

TEST(ParseJwks, RefusesASetWithNoUsableKey) {
    auto k = ec().jwk;
    k.erase("kid");
    auto p = wsgw::parse_jwks(doc({k, json{{"kty", "oct"}, {"kid", "h"}}}));
    EXPECT_FALSE(p.ok()) << "an empty set would refuse every client";
    EXPECT_EQ(p.skipped.size(), 2u) << skips(p);
    EXPECT_FALSE(wsgw::parse_jwks(R"({"keys":[]})").ok());
}

TEST(JwkSkipReasonNames, AreDistinctLabels) {
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < wsgw::kJwkSkipReasonCount; ++i)
        names.insert(wsgw::to_string(static_cast<JwkSkipReason>(i)));
    EXPECT_EQ(names.size(), wsgw::kJwkSkipReasonCount);
    EXPECT_EQ(wsgw::to_string(JwkSkipReason::duplicate_kid), "duplicate_kid");
}

}  // namespace
