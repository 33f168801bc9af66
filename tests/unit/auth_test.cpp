// verify_token: HS256 only, exp required, nbf honoured, both with leeway; the user claim must be a
// valid id. Tokens are made with wsgw::sign_hs256, or by hand where sign_hs256 cannot make them.
#include "wsgw/auth.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

#include "../common/test_keys.hpp"
#include "wsgw/jwks.hpp"

#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using wsgw::AuthConfig;
using wsgw::AuthFailure;
using json = nlohmann::json;
using namespace std::chrono_literals;

const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days{std::chrono::year{2025} / 12 / 7} + std::chrono::hours{10};
const std::int64_t kNowSecs = std::chrono::duration_cast<std::chrono::seconds>(kNow.time_since_epoch()).count();
constexpr const char* kSecret = "unit-test-secret-0123456789abcdef";

std::string base64url(std::string_view in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        auto n = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8) |
                 std::uint32_t(std::uint8_t(in[i + 2]));
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (in.size() - i == 1) {
        auto n = std::uint32_t(std::uint8_t(in[i])) << 16;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
    } else if (in.size() - i == 2) {
        auto n = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
    }
    return out;  // unpadded, as JWS requires
}

std::string base64url_decode(std::string_view in) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '-'             ? 62
                : c == '_'             ? 63
                                       : -1;
        if (v < 0) return {};
        acc = (acc << 6) | std::uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return out;
}

std::vector<std::string> split(const std::string& token) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        auto dot = token.find('.', start);
        parts.push_back(token.substr(start, dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return parts;
}

AuthConfig config() {
    AuthConfig c;
    c.secret = kSecret;
    return c;  // user_claim "sub", leeway 5 s, max 8192 bytes
}

json claims(std::string_view sub = "u1", std::int64_t exp_offset = 3600) {
    return json{{"sub", sub}, {"exp", kNowSecs + exp_offset}};
}

std::string sign(const json& c, std::string_view secret = kSecret) { return wsgw::sign_hs256(c.dump(), secret); }

wsgw::AuthResult verify(std::string_view token, const AuthConfig& c = config()) {
    return wsgw::verify_token(token, c, kNow);
}

std::string outcome(const wsgw::AuthResult& r) {
    if (r.ok()) return "accepted as user " + r.identity().user_id;
    return "refused with " + std::string(wsgw::to_string(r.failure()));
}

#define EXPECT_AUTH_FAILURE(result, expected)                                                          \
    do {                                                                                               \
        auto r_ = (result);                                                                            \
        ASSERT_FALSE(r_.ok()) << "expected " << wsgw::to_string(expected) << ", but " << outcome(r_); \
        EXPECT_EQ(wsgw::to_string(r_.failure()), wsgw::to_string(expected)) << outcome(r_);           \
    } while (0)

// ---------------------------------------------------------------------------------------------

TEST(Base64UrlHelper, EncodesRfc4648Vectors) {
    // The hand-built tokens below rely on this helper; RFC 4648 section 10, in the URL alphabet, unpadded.
    EXPECT_EQ(base64url(""), "");
    EXPECT_EQ(base64url("f"), "Zg");
    EXPECT_EQ(base64url("fo"), "Zm8");
    EXPECT_EQ(base64url("foo"), "Zm9v");
    EXPECT_EQ(base64url("foob"), "Zm9vYg");
    EXPECT_EQ(base64url("\xfb\xff"), "-_8");
    const std::string bytes("any bytes \xff\x00!", 13);
    EXPECT_EQ(base64url_decode(base64url(bytes)), bytes);
}

TEST(SignHs256, ProducesThreePartsWithAnHs256Header) {
    auto token = sign(claims());
    auto parts = split(token);
    ASSERT_EQ(parts.size(), 3u) << token;
    EXPECT_FALSE(parts[2].empty()) << "a signed token has a signature";
    auto header = json::parse(base64url_decode(parts[0]), nullptr, false);
    ASSERT_TRUE(header.is_object()) << "header part is not base64url JSON: " << parts[0];
    EXPECT_EQ(header.value("alg", ""), "HS256") << header.dump();
}

TEST(SignHs256, CarriesTheGivenClaims) {
    auto parts = split(sign(claims("u7", 60)));
    ASSERT_EQ(parts.size(), 3u);
    auto body = json::parse(base64url_decode(parts[1]), nullptr, false);
    EXPECT_EQ(body.value("sub", ""), "u7") << body.dump();
    EXPECT_EQ(body.value("exp", std::int64_t{0}), kNowSecs + 60) << body.dump();
}

TEST(SignHs256, RefusesClaimsThatAreNotAJsonObject) {
    EXPECT_THROW(wsgw::sign_hs256("[1,2]", kSecret), std::exception);
    EXPECT_THROW(wsgw::sign_hs256("not json", kSecret), std::exception);
}

TEST(VerifyToken, AcceptsAValidTokenAndReturnsTheUserId) {
    auto r = verify(sign(claims("user_42-A")));
    ASSERT_TRUE(r.ok()) << outcome(r);
    EXPECT_EQ(r.identity().user_id, "user_42-A");
}

TEST(VerifyToken, ReturnsTheExpiryOfTheToken) {
    auto r = verify(sign(claims("u1", 3600)));
    ASSERT_TRUE(r.ok()) << outcome(r);
    EXPECT_EQ(r.identity().expires_at, kNow + 3600s);
}

TEST(VerifyToken, AcceptsASubjectOf64Characters) {
    std::string sub(64, 'a');
    auto r = verify(sign(claims(sub)));
    ASSERT_TRUE(r.ok()) << outcome(r);
    EXPECT_EQ(r.identity().user_id, sub);
}

// exp and leeway ---------------------------------------------------------------------------------

TEST(VerifyToken, AcceptsATokenExpiredByLessThanTheLeeway) {
    auto r = verify(sign(claims("u1", -3)));  // leeway is 5 s
    EXPECT_TRUE(r.ok()) << "expired 3 s ago with 5 s leeway: " << outcome(r);
}

TEST(VerifyToken, AcceptsATokenExpiredByExactlyTheLeeway) {
    auto r = verify(sign(claims("u1", -5)));
    EXPECT_TRUE(r.ok()) << "expired exactly 5 s ago with 5 s leeway: " << outcome(r);
}

TEST(VerifyToken, RefusesATokenExpiredByMoreThanTheLeeway) {
    EXPECT_AUTH_FAILURE(verify(sign(claims("u1", -6))), AuthFailure::expired);
}

TEST(VerifyToken, RefusesATokenExpiredLongAgo) {
    EXPECT_AUTH_FAILURE(verify(sign(claims("u1", -86400))), AuthFailure::expired);
}

TEST(VerifyToken, RefusesAnyExpiredTokenWithZeroLeeway) {
    auto c = config();
    c.leeway = 0s;
    EXPECT_AUTH_FAILURE(verify(sign(claims("u1", -1)), c), AuthFailure::expired);
}

TEST(VerifyToken, HonoursALargerLeeway) {
    auto c = config();
    c.leeway = 60s;
    auto r = verify(sign(claims("u1", -59)), c);
    EXPECT_TRUE(r.ok()) << "expired 59 s ago with 60 s leeway: " << outcome(r);
}

TEST(VerifyToken, RefusesATokenWithoutExp) {
    EXPECT_AUTH_FAILURE(verify(sign(json{{"sub", "u1"}})), AuthFailure::missing_exp);
}

TEST(VerifyToken, RefusesAnExpWrittenAsAString) {
    EXPECT_AUTH_FAILURE(verify(sign(json{{"sub", "u1"}, {"exp", std::to_string(kNowSecs + 3600)}})),
                        AuthFailure::missing_exp);
}

TEST(VerifyToken, RefusesANegativeExp) {
    EXPECT_AUTH_FAILURE(verify(sign(json{{"sub", "u1"}, {"exp", -1}})), AuthFailure::missing_exp);
}

// nbf ---------------------------------------------------------------------------------------------

TEST(VerifyToken, RefusesATokenNotValidUntilLater) {
    auto c = claims();
    c["nbf"] = kNowSecs + 60;
    EXPECT_AUTH_FAILURE(verify(sign(c)), AuthFailure::not_yet_valid);
}

TEST(VerifyToken, AcceptsANotBeforeWithinTheLeeway) {
    auto c = claims();
    c["nbf"] = kNowSecs + 3;
    auto r = verify(sign(c));
    EXPECT_TRUE(r.ok()) << "nbf 3 s ahead with 5 s leeway: " << outcome(r);
}

TEST(VerifyToken, RefusesANotBeforeJustBeyondTheLeeway) {
    auto c = claims();
    c["nbf"] = kNowSecs + 6;
    EXPECT_AUTH_FAILURE(verify(sign(c)), AuthFailure::not_yet_valid);
}

TEST(VerifyToken, AcceptsANotBeforeInThePast) {
    auto c = claims();
    c["nbf"] = kNowSecs - 60;
    EXPECT_TRUE(verify(sign(c)).ok());
}

TEST(VerifyToken, RefusesANotBeforeThatIsNotANumber) {
    auto c = claims();
    c["nbf"] = "soon";
    EXPECT_AUTH_FAILURE(verify(sign(c)), AuthFailure::not_yet_valid);
}

// subject -------------------------------------------------------------------------------------------

TEST(VerifyToken, RefusesATokenWithoutSubject) {
    EXPECT_AUTH_FAILURE(verify(sign(json{{"exp", kNowSecs + 3600}})), AuthFailure::missing_subject);
}

TEST(VerifyToken, RefusesASubjectThatIsNotAString) {
    EXPECT_AUTH_FAILURE(verify(sign(json{{"sub", 42}, {"exp", kNowSecs + 3600}})), AuthFailure::missing_subject);
}

TEST(VerifyToken, RefusesASubjectWithASpace) {
    EXPECT_AUTH_FAILURE(verify(sign(claims("a b"))), AuthFailure::invalid_subject);
}

TEST(VerifyToken, RefusesASubjectOf65Characters) {
    EXPECT_AUTH_FAILURE(verify(sign(claims(std::string(65, 'a')))), AuthFailure::invalid_subject);
}

TEST(VerifyToken, RefusesAnEmptySubject) {
    EXPECT_AUTH_FAILURE(verify(sign(claims(""))), AuthFailure::invalid_subject);
}

TEST(VerifyToken, RefusesASubjectThatCouldForgeAChannelName) {
    EXPECT_AUTH_FAILURE(verify(sign(claims("u1:x"))), AuthFailure::invalid_subject);
    EXPECT_AUTH_FAILURE(verify(sign(claims("u1*"))), AuthFailure::invalid_subject);
}

TEST(VerifyToken, ReadsTheUserFromACustomClaim) {
    auto c = config();
    c.user_claim = "uid";
    json cl = {{"sub", "someone-else"}, {"uid", "u42"}, {"exp", kNowSecs + 3600}};
    auto r = verify(sign(cl), c);
    ASSERT_TRUE(r.ok()) << outcome(r);
    EXPECT_EQ(r.identity().user_id, "u42") << "user_claim \"uid\" must be read instead of \"sub\"";
}

TEST(VerifyToken, RefusesATokenLackingTheCustomClaim) {
    auto c = config();
    c.user_claim = "uid";
    EXPECT_AUTH_FAILURE(verify(sign(claims("u1")), c), AuthFailure::missing_subject);
}

// signature and algorithm ---------------------------------------------------------------------------

TEST(VerifyToken, RefusesATokenSignedWithAnotherSecret) {
    EXPECT_AUTH_FAILURE(verify(sign(claims(), "another-secret")), AuthFailure::bad_signature);
}

TEST(VerifyToken, RefusesATamperedPayload) {
    auto parts = split(sign(claims("u1")));
    ASSERT_EQ(parts.size(), 3u);
    std::string forged = parts[0] + "." + base64url(claims("admin").dump()) + "." + parts[2];
    EXPECT_AUTH_FAILURE(verify(forged), AuthFailure::bad_signature);
}

TEST(VerifyToken, RefusesATamperedSignature) {
    auto parts = split(sign(claims("u1")));
    ASSERT_EQ(parts.size(), 3u);
    parts[2][0] = parts[2][0] == 'A' ? 'B' : 'A';
    EXPECT_AUTH_FAILURE(verify(parts[0] + "." + parts[1] + "." + parts[2]), AuthFailure::bad_signature);
}

TEST(VerifyToken, RefusesAnHs256TokenWithAnEmptySignature) {
    auto parts = split(sign(claims("u1")));
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_AUTH_FAILURE(verify(parts[0] + "." + parts[1] + "."), AuthFailure::bad_signature);
}

TEST(VerifyToken, RefusesAlgNone) {
    std::string token =
        base64url(R"({"alg":"none","typ":"JWT"})") + "." + base64url(claims().dump()) + ".";
    EXPECT_AUTH_FAILURE(verify(token), AuthFailure::alg_not_allowed);
}

TEST(VerifyToken, RefusesAlgNoneCarryingASignature) {
    auto parts = split(sign(claims()));
    ASSERT_EQ(parts.size(), 3u);
    std::string token = base64url(R"({"alg":"none","typ":"JWT"})") + "." + parts[1] + "." + parts[2];
    EXPECT_AUTH_FAILURE(verify(token), AuthFailure::alg_not_allowed);
}

TEST(VerifyToken, RefusesHs512BeforeCheckingItsSignature) {
    // The signature is not a real HS512 MAC: the algorithm must be refused before any verification,
    // so the result is alg_not_allowed, not bad_signature.
    std::string token = base64url(R"({"alg":"HS512","typ":"JWT"})") + "." + base64url(claims().dump()) + "." +
                        base64url(std::string(64, '\x5a'));
    EXPECT_AUTH_FAILURE(verify(token), AuthFailure::alg_not_allowed);
}

TEST(VerifyToken, RefusesAsymmetricAlgorithms) {
    for (const char* alg : {"RS256", "ES256", "PS256"}) {
        std::string token = base64url(std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})") + "." +
                            base64url(claims().dump()) + "." + base64url("sig");
        EXPECT_AUTH_FAILURE(verify(token), AuthFailure::alg_not_allowed);
    }
}

TEST(VerifyToken, RefusesAlgInAnotherCase) {
    std::string token =
        base64url(R"({"alg":"hs256","typ":"JWT"})") + "." + base64url(claims().dump()) + "." + base64url("sig");
    EXPECT_AUTH_FAILURE(verify(token), AuthFailure::alg_not_allowed);
}

TEST(VerifyToken, RefusesAHeaderWithoutAlg) {
    std::string token = base64url(R"({"typ":"JWT"})") + "." + base64url(claims().dump()) + "." + base64url("sig");
    EXPECT_AUTH_FAILURE(verify(token), AuthFailure::alg_not_allowed);
}

// shape -------------------------------------------------------------------------------------------

TEST(VerifyToken, RefusesAnEmptyTokenAsMissing) {
    EXPECT_AUTH_FAILURE(verify(""), AuthFailure::missing_token);
}

TEST(VerifyToken, RefusesATwoPartToken) {
    auto parts = split(sign(claims()));
    EXPECT_AUTH_FAILURE(verify(parts[0] + "." + parts[1]), AuthFailure::malformed);
}

TEST(VerifyToken, RefusesAFourPartToken) {
    EXPECT_AUTH_FAILURE(verify(sign(claims()) + ".AAAA"), AuthFailure::malformed);
}

TEST(VerifyToken, RefusesATokenWithoutDots) {
    EXPECT_AUTH_FAILURE(verify("eyJhbGciOiJIUzI1NiJ9"), AuthFailure::malformed);
}

TEST(VerifyToken, RefusesGarbageBase64) {
    EXPECT_AUTH_FAILURE(verify("!!!!.####.$$$$"), AuthFailure::malformed);
}

TEST(VerifyToken, RefusesStandardBase64Characters) {
    // '+' and '/' belong to standard base64, not to the URL alphabet JWS uses.
    auto parts = split(sign(claims()));
    EXPECT_AUTH_FAILURE(verify("+/" + parts[0] + "." + parts[1] + "." + parts[2]), AuthFailure::malformed);
}

TEST(VerifyToken, RefusesAHeaderThatIsNotJson) {
    std::string token = base64url("not json") + "." + base64url(claims().dump()) + "." + base64url("sig");
    EXPECT_AUTH_FAILURE(verify(token), AuthFailure::malformed);
}

TEST(VerifyToken, RefusesAHeaderThatIsAJsonArray) {
    std::string token = base64url(R"(["HS256"])") + "." + base64url(claims().dump()) + "." + base64url("sig");
    EXPECT_AUTH_FAILURE(verify(token), AuthFailure::malformed);
}

TEST(VerifyToken, RefusesClaimsThatAreNotJson) {
    auto parts = split(sign(claims()));
    EXPECT_AUTH_FAILURE(verify(parts[0] + "." + base64url("{sub:u1") + "." + parts[2]), AuthFailure::malformed);
}

TEST(VerifyToken, RefusesAnOversizeToken) {
    auto c = claims();
    c["pad"] = std::string(9000, 'x');
    auto token = sign(c);
    ASSERT_GT(token.size(), 8192u);
    EXPECT_AUTH_FAILURE(verify(token), AuthFailure::malformed);
}

TEST(VerifyToken, HonoursACustomMaxTokenBytes) {
    auto token = sign(claims());
    auto c = config();
    c.max_token_bytes = token.size();
    EXPECT_TRUE(verify(token, c).ok()) << "a token of exactly max_token_bytes is accepted";
    c.max_token_bytes = token.size() - 1;
    EXPECT_AUTH_FAILURE(verify(token, c), AuthFailure::malformed);
}

// ---------------------------------------------------------------------------------------------
// Asymmetric algorithms (RS256, ES256): the configured algorithm is the only one accepted.
// Throwaway key pairs generated for these tests only (openssl genpkey); they protect nothing.
// ---------------------------------------------------------------------------------------------

constexpr const char* kRsaPrivate = R"(-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDHV5eKBoN7BvPD
7oih0AUc0ukAw/ZT+fb2RfaR0jzQJUxDm+5XgQuHIM7tz4kGMos6DvdEB17/rqeb
JYAxak+0DBF0FIS+25hEOebU1R1R00aX87PgSroTQGuDK5wQ8qWo4vKuZGMWGzWh
FD/RjTtRJzI+zBoJNPXuThY2JGfVyxshAl17rHMOxKcJz70kqUA8fvC7gzc6TQJe
gq4FWH9BiSVmFKJUk4CZl6XOSRf+Nz38dNaW4J1LnkORF8ACVeihm/8ky5RjVneJ
5uM4eP8HDuJ0FniEvj4CMWc6/X1ZIPKC8UAsICgP0RAmsflFUVIXLtytSCxM+z5R
GmrGIl8HAgMBAAECggEAE5jh+uQWClyOG9QelmELFG2lq3lLnuJ2a997IWEJfa47
atm9dKVpATe+Y1tUs+/Fh6EpObf+l/6CV4drX8njgqaKRrh64ZqMELtsHPHD1QoD
KPTnJgs8QAbd98JfSiLYtDUPhgm0QtwAIzeIgjmzIncxT0KLr4Q6rNr8MwY6ndle
0Wrm/EPvXPVmWUZ4mkYB/otMeUGAcwhU9on31Jrqi0jOpgbMGO+IZYOCcaAwul9U
brAw7D/r+n7/wOZip6XiAhuJorNMK/gGuiMIGKAZNrM2oNt9JfJN9/Z8vyp4uZmR
HkmJCYjbO5XiNb+pNCKJ74eu1uIlrBKBL0hhG0FWRQKBgQD9yAxXuZAfKmLRDSb6
ilZDg1W2qRIt2Mxz3B9emKi/CfU7YvWpYzpJqgA1hce39FILDQqbGgWXaLMxnt1Y
qnmXJwG4584xbCb6CHGXsH/XR0uE6mCHRH1U0blkqjpGgz8npnfBc1605PRLwV2n
Ej+u09WDNF14ctawmTaukdrPKwKBgQDJFbYD8prSmVrFXQZEKiG9FXNgiTjqp0mC
hNSPcs7AyQdc6J7r+/vnHPSKTKb3DEPeQhJsrSZpmvIRtz3yHJem/Xe0UZ9GSH4Z
eD/jQX5wtkkcmjUbE8QB7cYL6qrMWK9/MLc8dYXIe1yzqKGkBe8J8az9dV16nXFO
CaWhw5nhlQKBgElFuxqQ/yWgbUuCiqCH1IRFpTfJ9O+7yrwg8AW1+fK+g0mUNu2j
Mq8WIF1TtOhN6Go8Z7WEe9zNY/+NqMby4YxcvMiQVR475b0HNxTe5upXMVy89wXX
JoCY1PhVleHJ/zAJhkYac1uzRz2gJNQaFrz5eIobUml2broqYnlgr1ZlAoGBAKNg
N21HrJDVNlHKfe/eB2F4TzCs7QiB+JDJ2WXfUqqB6rCK86wqJIWnGexP0QxB89Zd
+lg/6ki9MlZAelz+7BwqLhrcgjr5ZTLOZ6H9sXxkLkzF4cXpLkSe6lz+Qd0bZSNC
8m110seLq0rxBLuecpOyvumDdPrNdqR/5AnlQV5tAoGBAJQV5ig2jqK30pfW/yRQ
4sivMvJbAO0K0/wsPfL+hBtqraNiInXzouX89RH3RlAs3QiBe3silJCz6Gm5rf0o
1/qJzD9hHQ/5eqvRSxSGm4RsFydfqH+gXsNjCxSqO7Bp1HVYnCm/hMoXECaLQXzr
pqdnwZad2OuexPa3XZoEYErQ
-----END PRIVATE KEY-----
)";
constexpr const char* kRsaPublic = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx1eXigaDewbzw+6IodAF
HNLpAMP2U/n29kX2kdI80CVMQ5vuV4ELhyDO7c+JBjKLOg73RAde/66nmyWAMWpP
tAwRdBSEvtuYRDnm1NUdUdNGl/Oz4Eq6E0BrgyucEPKlqOLyrmRjFhs1oRQ/0Y07
UScyPswaCTT17k4WNiRn1csbIQJde6xzDsSnCc+9JKlAPH7wu4M3Ok0CXoKuBVh/
QYklZhSiVJOAmZelzkkX/jc9/HTWluCdS55DkRfAAlXooZv/JMuUY1Z3iebjOHj/
Bw7idBZ4hL4+AjFnOv19WSDygvFALCAoD9EQJrH5RVFSFy7crUgsTPs+URpqxiJf
BwIDAQAB
-----END PUBLIC KEY-----
)";
constexpr const char* kEcPrivate = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9TAzcCbBN49UOIV/
xxZzRSOFyPMMY3RrRWZikCo6zLGhRANCAATApsrJNtSBM6Pgy9ULpq00gASSKxek
ocMqG71EDCWZIBYvR5mEHajVdl0jc7gtlcykVoH6NfWZgmrLBRPWnzBl
-----END PRIVATE KEY-----
)";
constexpr const char* kEcPublic = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwKbKyTbUgTOj4MvVC6atNIAEkisX
pKHDKhu9RAwlmSAWL0eZhB2o1XZdI3O4LZXMpFaB+jX1mYJqywUT1p8wZQ==
-----END PUBLIC KEY-----
)";

// Signed outside libjwt (Python cryptography), header {"alg":...} without "typ", claims
// {"sub":"ext-user","exp":kNowSecs+3600}; ES256 signature is the JWS R||S form, 64 bytes.
constexpr const char* kExternalEs256 =
    "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJleHQtdXNlciIsImV4cCI6MTc2NTEwNTIwMH0."
    "fyFh9_o40kYRjiQInbaIz3qmvT0v3XTLuWQ0HMeIEVfikrFsBp7YMz-ffuWpADt5s3FEKZSW50niLYEfPzjTig";
constexpr const char* kExternalRs256 =
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJleHQtdXNlciIsImV4cCI6MTc2NTEwNTIwMH0."
    "n9F8fTkUb2IYfG7llx0dWn26MNTq5ah1JKJ1gOz-JV2x2DvMukGJr9C0-w_RAYg4rSdBjmGroEGecnVbY5bP3nYpMvM21iRnLzuLz7elA1g_"
    "z6E1gYyqZ4KSGadAD-mQp6QT0dkob47QkayYENd79f2TorFPkEww6zB-y-YKsNftMDWTfiIV-rKN4SEQyxK6c-MoeHyCWy0-Nd87uAaItYVUUtUS"
    "9ToAmpmooGgxc183QvKTtZ1mtpvohYEFa2InRhgK28_khNAQiHBya_I0MBtaYmIX2uwH9WtK0Pz5dIfsdxAOHUrOyA7cRHJHh9BFsKwlh7ljantNy"
    "po5eZU4PQ";

AuthConfig asymmetric_config(wsgw::JwtAlgorithm alg) {
    AuthConfig c;
    c.algorithm = alg;
    c.public_key = alg == wsgw::JwtAlgorithm::rs256 ? kRsaPublic : kEcPublic;
    return c;
}

TEST(JwtAlgorithmNames, RoundTripThroughParse) {
    for (auto alg : {wsgw::JwtAlgorithm::hs256, wsgw::JwtAlgorithm::rs256, wsgw::JwtAlgorithm::es256})
        EXPECT_EQ(wsgw::parse_jwt_algorithm(wsgw::to_string(alg)), alg) << wsgw::to_string(alg);
    EXPECT_EQ(wsgw::to_string(wsgw::JwtAlgorithm::hs256), "HS256");
    EXPECT_EQ(wsgw::to_string(wsgw::JwtAlgorithm::rs256), "RS256");
    EXPECT_EQ(wsgw::to_string(wsgw::JwtAlgorithm::es256), "ES256");
}

TEST(JwtAlgorithmNames, ParseRefusesOtherNames) {
    for (auto name : {"none", "hs256", "HS512", "RS512", "PS256", "", "HS256 "})
        EXPECT_FALSE(wsgw::parse_jwt_algorithm(name).has_value()) << '"' << name << '"';
}

TEST(VerifyToken, AcceptsAnRs256TokenWhenRs256IsConfigured) {
    auto token = wsgw::sign_token(claims("u9").dump(), wsgw::JwtAlgorithm::rs256, kRsaPrivate);
    auto r = verify(token, asymmetric_config(wsgw::JwtAlgorithm::rs256));
    ASSERT_TRUE(r.ok()) << outcome(r);
    EXPECT_EQ(r.identity().user_id, "u9");
}

TEST(VerifyToken, AcceptsAnEs256TokenWhenEs256IsConfigured) {
    auto token = wsgw::sign_token(claims("u9").dump(), wsgw::JwtAlgorithm::es256, kEcPrivate);
    auto r = verify(token, asymmetric_config(wsgw::JwtAlgorithm::es256));
    ASSERT_TRUE(r.ok()) << outcome(r);
    EXPECT_EQ(r.identity().user_id, "u9");
}

TEST(VerifyToken, AcceptsAStandardRs256TokenFromAnotherSigner) {
    auto r = verify(kExternalRs256, asymmetric_config(wsgw::JwtAlgorithm::rs256));
    ASSERT_TRUE(r.ok()) << "an RS256 token from another JOSE library must verify: " << outcome(r);
    EXPECT_EQ(r.identity().user_id, "ext-user");
}

TEST(VerifyToken, AcceptsAStandardEs256TokenFromAnotherSigner) {
    // JWS ES256 signatures are the 64-byte R||S form, not DER.
    auto r = verify(kExternalEs256, asymmetric_config(wsgw::JwtAlgorithm::es256));
    ASSERT_TRUE(r.ok()) << "an ES256 token from another JOSE library must verify: " << outcome(r);
    EXPECT_EQ(r.identity().user_id, "ext-user");
}

TEST(VerifyToken, RefusesAnHs256TokenWhenRs256IsConfigured) {
    EXPECT_AUTH_FAILURE(verify(sign(claims()), asymmetric_config(wsgw::JwtAlgorithm::rs256)),
                        AuthFailure::alg_not_allowed);
}

TEST(VerifyToken, RefusesAnHs256TokenKeyedWithThePublicKey) {
    // The classic key-confusion attack: the public key (known to everyone) used as an HMAC secret.
    auto forged = wsgw::sign_hs256(claims("admin").dump(), kRsaPublic);
    EXPECT_AUTH_FAILURE(verify(forged, asymmetric_config(wsgw::JwtAlgorithm::rs256)), AuthFailure::alg_not_allowed);
}

TEST(VerifyToken, RefusesAnRs256TokenWhenHs256IsConfigured) {
    auto token = wsgw::sign_token(claims().dump(), wsgw::JwtAlgorithm::rs256, kRsaPrivate);
    EXPECT_AUTH_FAILURE(verify(token), AuthFailure::alg_not_allowed);
}

TEST(VerifyToken, RefusesAnRs256TokenWhenEs256IsConfigured) {
    auto token = wsgw::sign_token(claims().dump(), wsgw::JwtAlgorithm::rs256, kRsaPrivate);
    EXPECT_AUTH_FAILURE(verify(token, asymmetric_config(wsgw::JwtAlgorithm::es256)), AuthFailure::alg_not_allowed);
}

TEST(VerifyToken, RefusesATamperedRs256Payload) {
    auto parts = split(wsgw::sign_token(claims("u1").dump(), wsgw::JwtAlgorithm::rs256, kRsaPrivate));
    ASSERT_EQ(parts.size(), 3u);
    std::string forged = parts[0] + "." + base64url(claims("admin").dump()) + "." + parts[2];
    EXPECT_AUTH_FAILURE(verify(forged, asymmetric_config(wsgw::JwtAlgorithm::rs256)), AuthFailure::bad_signature);
}

TEST(VerifyToken, RefusesAnEs256TokenCheckedAgainstAnotherKey) {
    auto token = wsgw::sign_token(claims().dump(), wsgw::JwtAlgorithm::es256, kEcPrivate);
    auto c = asymmetric_config(wsgw::JwtAlgorithm::es256);
    c.public_key = kRsaPublic;  // not the signer's key
    EXPECT_AUTH_FAILURE(verify(token, c), AuthFailure::bad_signature);
}

TEST(VerifyToken, RefusesEveryTokenWhenTheKeyIsMissing) {
    auto c = config();
    c.secret.clear();
    EXPECT_AUTH_FAILURE(verify(sign(claims()), c), AuthFailure::bad_signature);
    auto a = asymmetric_config(wsgw::JwtAlgorithm::rs256);
    a.public_key.clear();
    EXPECT_AUTH_FAILURE(verify(wsgw::sign_token(claims().dump(), wsgw::JwtAlgorithm::rs256, kRsaPrivate), a),
                        AuthFailure::bad_signature);
}

// audience and issuer --------------------------------------------------------------------------------

AuthConfig with_audience(std::string audience) {
    auto c = config();
    c.audience = std::move(audience);
    return c;
}

TEST(VerifyAudience, AcceptsAnAudStringEqualToTheConfiguredAudience) {
    auto c = claims();
    c["aud"] = "ws-gateway";
    auto r = verify(sign(c), with_audience("ws-gateway"));
    EXPECT_TRUE(r.ok()) << outcome(r);
}

TEST(VerifyAudience, AcceptsAnAudArrayContainingTheConfiguredAudience) {
    auto c = claims();
    c["aud"] = json::array({"account", "ws-gateway"});
    auto r = verify(sign(c), with_audience("ws-gateway"));
    EXPECT_TRUE(r.ok()) << outcome(r);
}

TEST(VerifyAudience, RefusesAnAudArrayWithoutTheConfiguredAudience) {
    auto c = claims();
    c["aud"] = json::array({"account", "billing"});
    EXPECT_AUTH_FAILURE(verify(sign(c), with_audience("ws-gateway")), AuthFailure::wrong_audience);
}

TEST(VerifyAudience, RefusesAnotherAudString) {
    auto c = claims();
    c["aud"] = "ws-gateway-staging";
    EXPECT_AUTH_FAILURE(verify(sign(c), with_audience("ws-gateway")), AuthFailure::wrong_audience);
}

TEST(VerifyAudience, RefusesATokenWithoutAudWhenAnAudienceIsConfigured) {
    EXPECT_AUTH_FAILURE(verify(sign(claims()), with_audience("ws-gateway")), AuthFailure::wrong_audience);
}

TEST(VerifyAudience, RefusesANonStringAud) {
    auto c = claims();
    c["aud"] = 42;
    EXPECT_AUTH_FAILURE(verify(sign(c), with_audience("42")), AuthFailure::wrong_audience);
}

TEST(VerifyAudience, IgnoresAudWhenNoAudienceIsConfigured) {
    auto c = claims();
    c["aud"] = "anything";
    auto r = verify(sign(c));
    EXPECT_TRUE(r.ok()) << outcome(r);
}

TEST(VerifyIssuer, AcceptsTheConfiguredIssuer) {
    auto cfg = config();
    cfg.issuer = "https://id.example.com/realms/app";
    auto c = claims();
    c["iss"] = "https://id.example.com/realms/app";
    auto r = verify(sign(c), cfg);
    EXPECT_TRUE(r.ok()) << outcome(r);
}

TEST(VerifyIssuer, RefusesAnotherOrAMissingIssuer) {
    auto cfg = config();
    cfg.issuer = "https://id.example.com/realms/app";
    auto c = claims();
    c["iss"] = "https://id.example.com/realms/other";
    EXPECT_AUTH_FAILURE(verify(sign(c), cfg), AuthFailure::wrong_issuer);
    EXPECT_AUTH_FAILURE(verify(sign(claims()), cfg), AuthFailure::wrong_issuer);
    c["iss"] = json::array({"https://id.example.com/realms/app"});
    EXPECT_AUTH_FAILURE(verify(sign(c), cfg), AuthFailure::wrong_issuer);
}

TEST(VerifyIssuer, IsCheckedOnlyAfterTheSignature) {
    auto cfg = config();
    cfg.issuer = "https://id.example.com";
    EXPECT_AUTH_FAILURE(verify(sign(claims(), "another-secret"), cfg), AuthFailure::bad_signature);
}

// HS256 rotation ---------------------------------------------------------------------------------------

TEST(VerifyRotation, AcceptsATokenSignedWithThePreviousSecret) {
    auto cfg = config();
    cfg.secret = "the-new-secret";
    cfg.previous_secret = kSecret;
    auto r = verify(sign(claims("old-token")), cfg);
    ASSERT_TRUE(r.ok()) << outcome(r);
    EXPECT_EQ(r.identity().user_id, "old-token");
}

TEST(VerifyRotation, AcceptsATokenSignedWithTheCurrentSecret) {
    auto cfg = config();
    cfg.previous_secret = "the-old-secret";
    auto r = verify(sign(claims()), cfg);
    EXPECT_TRUE(r.ok()) << outcome(r);
}

TEST(VerifyRotation, RefusesATokenSignedWithNeither) {
    auto cfg = config();
    cfg.previous_secret = "the-old-secret";
    EXPECT_AUTH_FAILURE(verify(sign(claims(), "a-third-secret"), cfg), AuthFailure::bad_signature);
}

TEST(VerifyRotation, ThePreviousSecretNeverVerifiesAsymmetricTokens) {
    // An RS256 token must not be checked as HMAC with any secret.
    auto cfg = asymmetric_config(wsgw::JwtAlgorithm::rs256);
    cfg.previous_secret = kSecret;
    EXPECT_AUTH_FAILURE(verify(sign(claims()), cfg), AuthFailure::alg_not_allowed);
}

// JWKS: the token's kid picks the key -----------------------------------------------------------------

struct JwksFixture {
    wsgw::test_keys::KeyPair rsa = wsgw::test_keys::make_rsa("rsa-1");
    wsgw::test_keys::KeyPair ec = wsgw::test_keys::make_ec("ec-1");
    std::shared_ptr<const wsgw::KeySet> set;
    JwksFixture() {
        auto parsed = wsgw::parse_jwks(wsgw::test_keys::jwks_of({&rsa, &ec}));
        if (!parsed.ok()) throw std::runtime_error(parsed.error);
        set = std::make_shared<const wsgw::KeySet>(std::move(parsed.keys));
    }
    AuthConfig config() const {
        AuthConfig c;
        c.jwks = set;
        return c;
    }
};

const JwksFixture& jwks_fixture() {
    static const JwksFixture f;  // RSA key generation is slow enough to do once
    return f;
}

TEST(VerifyJwks, PicksTheRsaKeyByKid) {
    const auto& f = jwks_fixture();
    auto token = wsgw::sign_token(claims("u7").dump(), wsgw::JwtAlgorithm::rs256, f.rsa.private_pem, "rsa-1");
    auto r = verify(token, f.config());
    ASSERT_TRUE(r.ok()) << outcome(r);
    EXPECT_EQ(r.identity().user_id, "u7");
}

TEST(VerifyJwks, PicksTheEcKeyByKid) {
    const auto& f = jwks_fixture();
    auto token = wsgw::sign_token(claims("u8").dump(), wsgw::JwtAlgorithm::es256, f.ec.private_pem, "ec-1");
    auto r = verify(token, f.config());
    ASSERT_TRUE(r.ok()) << outcome(r);
    EXPECT_EQ(r.identity().user_id, "u8");
}

TEST(VerifyJwks, RefusesAnUnknownKid) {
    const auto& f = jwks_fixture();
    auto token = wsgw::sign_token(claims().dump(), wsgw::JwtAlgorithm::rs256, f.rsa.private_pem, "rsa-2");
    EXPECT_AUTH_FAILURE(verify(token, f.config()), AuthFailure::unknown_key);
}

TEST(VerifyJwks, RefusesATokenWithoutKid) {
    const auto& f = jwks_fixture();
    auto token = wsgw::sign_token(claims().dump(), wsgw::JwtAlgorithm::rs256, f.rsa.private_pem);
    EXPECT_AUTH_FAILURE(verify(token, f.config()), AuthFailure::unknown_key);
}

TEST(VerifyJwks, RefusesATokenSignedByAnotherKeyUnderAKnownKid) {
    const auto& f = jwks_fixture();
    auto token = wsgw::sign_token(claims().dump(), wsgw::JwtAlgorithm::rs256, kRsaPrivate, "rsa-1");
    EXPECT_AUTH_FAILURE(verify(token, f.config()), AuthFailure::bad_signature);
}

TEST(VerifyJwks, TheKeyPinsTheAlgorithmNotTheToken) {
    const auto& f = jwks_fixture();
    // An ES256 token naming the RSA key's kid.
    auto token = wsgw::sign_token(claims().dump(), wsgw::JwtAlgorithm::es256, f.ec.private_pem, "rsa-1");
    EXPECT_AUTH_FAILURE(verify(token, f.config()), AuthFailure::alg_not_allowed);
}

TEST(VerifyJwks, RefusesHs256TokensEvenWithAKnownKid) {
    const auto& f = jwks_fixture();
    auto token = wsgw::sign_token(claims().dump(), wsgw::JwtAlgorithm::hs256, kSecret, "rsa-1");
    EXPECT_AUTH_FAILURE(verify(token, f.config()), AuthFailure::alg_not_allowed);
}

TEST(VerifyJwks, AppliesAudienceAndIssuerToo) {
    const auto& f = jwks_fixture();
    auto cfg = f.config();
    cfg.audience = "ws-gateway";
    cfg.issuer = "https://id.example.com/realms/app";
    auto c = claims();
    c["aud"] = "ws-gateway";
    c["iss"] = "https://id.example.com/realms/app";
    auto good = wsgw::sign_token(c.dump(), wsgw::JwtAlgorithm::es256, f.ec.private_pem, "ec-1");
    EXPECT_TRUE(verify(good, cfg).ok()) << outcome(verify(good, cfg));
    c["aud"] = "account";
    auto wrong = wsgw::sign_token(c.dump(), wsgw::JwtAlgorithm::es256, f.ec.private_pem, "ec-1");
    EXPECT_AUTH_FAILURE(verify(wrong, cfg), AuthFailure::wrong_audience);
}

// public_key_error ----------------------------------------------------------------------------------

TEST(PublicKeyError, AcceptsKeysOfTheRightKind) {
    EXPECT_EQ(wsgw::public_key_error(kRsaPublic, wsgw::JwtAlgorithm::rs256), std::nullopt);
    EXPECT_EQ(wsgw::public_key_error(kEcPublic, wsgw::JwtAlgorithm::es256), std::nullopt);
}

TEST(PublicKeyError, RefusesAKeyOfTheOtherKind) {
    EXPECT_NE(wsgw::public_key_error(kEcPublic, wsgw::JwtAlgorithm::rs256), std::nullopt);
    EXPECT_NE(wsgw::public_key_error(kRsaPublic, wsgw::JwtAlgorithm::es256), std::nullopt);
}

TEST(PublicKeyError, RefusesAnEcKeyOnAnotherCurve) {
    static const auto p384 = wsgw::test_keys::make_ec("p384", "P-384");
    auto pem = wsgw::test_keys::public_pem(p384.private_pem);
    EXPECT_NE(wsgw::public_key_error(pem, wsgw::JwtAlgorithm::es256), std::nullopt);
}

TEST(PublicKeyError, RefusesTextThatIsNotAKey) {
    EXPECT_NE(wsgw::public_key_error("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
                                     wsgw::JwtAlgorithm::es256),
              std::nullopt);
    EXPECT_NE(wsgw::public_key_error("", wsgw::JwtAlgorithm::rs256), std::nullopt);
    EXPECT_NE(wsgw::public_key_error(kRsaPrivate, wsgw::JwtAlgorithm::rs256), std::nullopt);
}

// names ---------------------------------------------------------------------------------------------

TEST(AuthFailureNames, MatchTheMetricLabels) {
    const std::array<const char*, wsgw::kAuthFailureCount> expected = {
        "missing_token",   "malformed",   "alg_not_allowed", "bad_signature", "missing_subject",
        "invalid_subject", "missing_exp", "expired",         "not_yet_valid", "revoked",
        "wrong_audience",  "wrong_issuer", "unknown_key"};
    for (std::size_t i = 0; i < expected.size(); ++i)
        EXPECT_EQ(wsgw::to_string(static_cast<AuthFailure>(i)), expected[i]) << "AuthFailure #" << i;
}

}  // namespace

namespace {

// exp and nbf at the limits of what a time point holds (run under UBSan: an overflowing
// conversion aborts instead of wrapping into the past).
TEST(VerifyTimeLimits, AFarFutureExpIsClampedTo2096NotWrappedIntoThePast) {
    AuthConfig config;
    config.secret = kSecret;
    for (double exp : {4e9, 9999999999.0, 1e11, 1e300}) {
        auto token = wsgw::sign_hs256(json{{"sub", "u1"}, {"exp", exp}}.dump(), kSecret);
        auto r = wsgw::verify_token(token, config, kNow);
        ASSERT_TRUE(r.ok()) << exp << ": " << wsgw::to_string(r.failure());
        EXPECT_EQ(r.identity().expires_at, std::chrono::system_clock::time_point(std::chrono::seconds(4'000'000'000LL)))
            << exp;
    }
}

TEST(VerifyTimeLimits, NegativeExpAndFarFutureNbfAreRefused) {
    AuthConfig config;
    config.secret = kSecret;
    auto negative = wsgw::sign_hs256(json{{"sub", "u1"}, {"exp", -1}}.dump(), kSecret);
    EXPECT_EQ(wsgw::verify_token(negative, config, kNow).failure(), AuthFailure::missing_exp);
    auto later = wsgw::sign_hs256(json{{"sub", "u1"}, {"exp", kNowSecs + 60}, {"nbf", 1e300}}.dump(), kSecret);
    EXPECT_EQ(wsgw::verify_token(later, config, kNow).failure(), AuthFailure::not_yet_valid);
    auto epoch = wsgw::sign_hs256(json{{"sub", "u1"}, {"exp", 0}}.dump(), kSecret);
    EXPECT_EQ(wsgw::verify_token(epoch, config, kNow).failure(), AuthFailure::expired);
}

}  // namespace
