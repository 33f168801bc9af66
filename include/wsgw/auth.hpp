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
    alg_not_allowed,    // anything but HS256, including "none"
    bad_signature,
    missing_subject,    // the user claim is absent or not a string
    invalid_subject,    // the user claim is not a valid id (1-64 of [A-Za-z0-9_-])
    missing_exp,
    expired,
    not_yet_valid,      // nbf in the future
};
inline constexpr std::size_t kAuthFailureCount = 9;
std::string_view to_string(AuthFailure f) noexcept;

struct AuthConfig {
    std::string secret;
    std::string user_claim = "sub";
    std::chrono::seconds leeway{5};
    std::size_t max_token_bytes = 8192;
};

struct Identity {
    std::string user_id;
    std::chrono::system_clock::time_point expires_at;
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

// Verifies an HS256 JWT: algorithm pinned before the signature is checked, `exp` required,
// `nbf` honoured, both with `leeway`.
AuthResult verify_token(std::string_view token, const AuthConfig& config, std::chrono::system_clock::time_point now);

// Signs `claims_json` (a JSON object) with HS256. For the dev token tool and the tests.
std::string sign_hs256(std::string_view claims_json, std::string_view secret);

}  // namespace wsgw
