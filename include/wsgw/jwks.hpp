#pragma once
// A JSON Web Key Set (RFC 7517) -> the keys that may verify tokens, by "kid". Only signature keys
// the gateway can check are kept: RSA (RS256) and EC P-256 (ES256); every other entry is skipped
// with a reason, so a provider that also publishes encryption keys still works.
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "wsgw/auth.hpp"

namespace wsgw {

// Bounds on what an identity provider's answer may hold. A realm publishes a handful of keys; the
// limits are far above that and far below what could hurt the process.
inline constexpr std::size_t kMaxJwksDocumentBytes = 1024 * 1024;
inline constexpr std::size_t kMaxJwksKeys = 64;        // entries read; the rest are skipped
inline constexpr std::size_t kMaxJwksKidBytes = 256;
inline constexpr std::size_t kMinRsaModulusBits = 2048;  // shorter RSA keys are forgeable in practice
inline constexpr std::size_t kMaxRsaModulusBits = 8192;  // bounds the cost of one verification
inline constexpr std::size_t kMaxRsaExponentBytes = 8;

struct JwksKey {
    JwtAlgorithm algorithm = JwtAlgorithm::rs256;  // pinned by the key, never by the token
    std::string public_key_pem;
};

// kid -> key. Immutable once built; shared by every I/O thread.
struct KeySet {
    std::map<std::string, JwksKey, std::less<>> keys;

    const JwksKey* find(std::string_view kid) const {
        auto it = keys.find(kid);
        return it == keys.end() ? nullptr : &it->second;
    }
};

enum class JwkSkipReason {
    not_an_object,
    no_kid,             // absent, not a string, empty or longer than kMaxJwksKidBytes
    duplicate_kid,      // every entry sharing the kid is skipped: which one signs is ambiguous
    unsupported_kty,    // anything but RSA and EC (oct keys are secrets and never published)
    unsupported_curve,  // EC on a curve other than P-256
    unsupported_alg,    // "alg" present and not RS256 for RSA or ES256 for EC
    not_for_signing,    // "use" present and not "sig"
    bad_encoding,       // a member missing, not a string, or not base64url
    bad_key,            // the numbers do not make a valid key (size out of bounds, point off the curve)
    too_many_keys,      // past kMaxJwksKeys
};
inline constexpr std::size_t kJwkSkipReasonCount = 10;
std::string_view to_string(JwkSkipReason r) noexcept;

struct SkippedJwk {
    std::string kid;  // as given (truncated to kMaxJwksKidBytes), or empty
    JwkSkipReason reason;
};

struct JwksParse {
    // Empty when the document as a whole is unusable; `keys` is then empty too.
    std::string error;
    KeySet keys;
    std::vector<SkippedJwk> skipped;
    bool ok() const noexcept { return error.empty(); }
};

// A document with no usable key at all is an error: installing it would refuse every client.
JwksParse parse_jwks(std::string_view document);

}  // namespace wsgw
