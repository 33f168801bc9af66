#pragma once
// Token -> user id, or the reason it was refused. The clock is passed in, so expiry is testable.
#include <chrono>
#include <cstddef>
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
};
inline constexpr std::size_t kAuthFailureCount = 10;
std::string_view to_string(AuthFailure f) noexcept;

enum class JwtAlgorithm { hs256, rs256, es256 };
std::string_view to_string(JwtAlgorithm a) noexcept;
std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name) noexcept;

struct AuthConfig {
    JwtAlgorithm algorithm = JwtAlgorithm::hs256;  // the only algorithm tokens may use
    std::string secret;      // HS256
    std::string public_key;  // PEM, RS256/ES256
    std::string user_claim = "sub";
    std::chrono::seconds leeway{5};
    std::size_t max_token_bytes = 8192;
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

// Verifies a JWT: the configured algorithm is pinned before the signature is checked, `exp`
// required, `nbf` honoured, both with `leeway`.
AuthResult verify_token(std::string_view token, const AuthConfig& config, std::chrono::system_clock::time_point now);

// Signs `claims_json` (a JSON object). `key` is the HS256 secret or a PEM private key.
// For the dev token tool and the tests.
std::string sign_token(std::string_view claims_json, JwtAlgorithm algorithm, std::string_view key);
inline std::string sign_hs256(std::string_view claims_json, std::string_view secret) {
    return sign_token(claims_json, JwtAlgorithm::hs256, secret);
}

}  // namespace wsgw
