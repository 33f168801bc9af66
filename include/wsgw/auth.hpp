#pragma once
// Token -> user id, or the reason it was refused. The clock is passed in, so expiry is testable.
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

enum class AuthFailure {
    missing_token,
    malformed,          // not three base64url parts, or header/claims not JSON objects
    alg_not_allowed,    // anything but the configured algorithm, including "none"
    bad_signature,
    missing_subject,    // the user claim is absent or not a string
    invalid_subject,    // the user claim is not a valid id (1-64 of [A-Za-z0-9_-])
    missing_exp,
    expired,
    not_yet_valid,      // nbf in the future
    revoked,            // the token's jti is on the deny list (never returned by verify_token)
    wrong_audience,     // an audience is configured and "aud" does not name it
    wrong_issuer,       // an issuer is configured and "iss" is not it
    unknown_key,        // with a JWKS: no "kid", or one the key set does not hold
};
inline constexpr std::size_t kAuthFailureCount = 13;
std::string_view to_string(AuthFailure f) noexcept;

enum class JwtAlgorithm { hs256, rs256, es256 };
struct KeySet;  // wsgw/jwks.hpp
std::string_view to_string(JwtAlgorithm a) noexcept;
std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name) noexcept;

struct AuthConfig {
    JwtAlgorithm algorithm = JwtAlgorithm::hs256;  // the only algorithm tokens may use
    std::string secret;      // HS256
    std::string public_key;  // PEM, RS256/ES256
    std::string user_claim = "sub";
    std::chrono::seconds leeway{5};
    std::size_t max_token_bytes = 8192;
    // HS256 rotation: a token signed with this one is accepted too, while clients still hold
    // tokens issued before the switch to `secret`.
    std::string previous_secret;
    std::string audience;  // when set, "aud" (a string or an array of strings) must contain it
    std::string issuer;    // when set, "iss" must equal it
    // When set (a JWKS is configured), the token's "kid" picks the key, and the key's own
    // algorithm is the one pinned; `algorithm`, `secret` and `public_key` do not apply.
    std::shared_ptr<const KeySet> jwks;
};

struct Identity {
    std::string user_id;
    std::chrono::system_clock::time_point expires_at;
    std::string token_id;  // the "jti" claim when it is a string (empty otherwise): what revocation names
};

class AuthResult {
public:
    static AuthResult success(Identity id) { return AuthResult(std::move(id)); }
    static AuthResult failure(AuthFailure f) { return AuthResult(f); }
    bool ok() const noexcept { return identity_.has_value(); }
    const Identity& identity() const { return *identity_; }
    AuthFailure failure() const noexcept { return failure_; }

private:
    explicit AuthResult(Identity id) : identity_(std::move(id)) {}
    explicit AuthResult(AuthFailure f) : failure_(f) {}
    std::optional<Identity> identity_;
    AuthFailure failure_ = AuthFailure::missing_token;
};

// Verifies a JWT: the configured algorithm (or, with a JWKS, the algorithm of the key its kid
// names) is pinned before the signature is checked, `exp` required, `nbf` honoured, both with
// `leeway`; then the audience and issuer when configured.
AuthResult verify_token(std::string_view token, const AuthConfig& config, std::chrono::system_clock::time_point now);

// Whether `pem` holds a public key of the kind `algorithm` verifies with (RSA for RS256, EC P-256
// for ES256): nullopt when it does, otherwise what is wrong with it.
std::optional<std::string> public_key_error(std::string_view pem, JwtAlgorithm algorithm);

// Signs `claims_json` (a JSON object). `key` is the HS256 secret or a PEM private key; a non-empty
// `kid` goes into the header. For the dev token tool and the tests.
std::string sign_token(std::string_view claims_json, JwtAlgorithm algorithm, std::string_view key,
                       std::string_view kid = {});
inline std::string sign_hs256(std::string_view claims_json, std::string_view secret) {
    return sign_token(claims_json, JwtAlgorithm::hs256, secret);
}

}  // namespace wsgw
