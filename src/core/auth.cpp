#include "wsgw/auth.hpp"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "wsgw/base64url.hpp"
#include "wsgw/channel.hpp"
#include "wsgw/jwks.hpp"
#include "wsgw/unix_time.hpp"

namespace wsgw {

namespace {

using json = nlohmann::json;

struct JwtFree {
    void operator()(jwt_t* j) const noexcept { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

std::optional<json> decode_object(std::string_view part) {
    auto text = base64url_decode(part);
    if (!text) return std::nullopt;
    auto doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return std::nullopt;
    return doc;
}

std::optional<std::chrono::system_clock::time_point> numeric_date(const json& v) {
    if (!v.is_number()) return std::nullopt;
    const double secs = v.get<double>();
    if (!std::isfinite(secs)) return std::nullopt;
    // Far-future values are clamped (to 2096, where revocations are clamped too) so that time
    // arithmetic in nanoseconds, here and in the expiry timer of open sockets, cannot overflow.
    return from_unix_seconds(secs);
}

jwt_alg_t to_libjwt(JwtAlgorithm a) noexcept {
    switch (a) {
        case JwtAlgorithm::rs256: return JWT_ALG_RS256;
        case JwtAlgorithm::es256: return JWT_ALG_ES256;
        case JwtAlgorithm::hs256: break;
    }
    return JWT_ALG_HS256;
}

}  // namespace

std::string_view to_string(JwtAlgorithm a) noexcept {
    switch (a) {
        case JwtAlgorithm::rs256: return "RS256";
        case JwtAlgorithm::es256: return "ES256";
        case JwtAlgorithm::hs256: break;
    }
    return "HS256";
}

std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name) noexcept {
    if (name == "HS256") return JwtAlgorithm::hs256;
    if (name == "RS256") return JwtAlgorithm::rs256;
    if (name == "ES256") return JwtAlgorithm::es256;
    return std::nullopt;
}

std::string_view to_string(AuthFailure f) noexcept {
    static constexpr std::array<std::string_view, kAuthFailureCount> kNames = {
        "missing_token", "malformed", "alg_not_allowed", "bad_signature", "missing_subject",
        "invalid_subject", "missing_exp", "expired", "not_yet_valid", "revoked", "wrong_audience", "wrong_issuer",
        "unknown_key"};
    return kNames[static_cast<std::size_t>(f)];
}

AuthResult verify_token(std::string_view token, const AuthConfig& config, std::chrono::system_clock::time_point now) {
    using F = AuthFailure;
    if (token.empty()) return AuthResult::failure(F::missing_token);
    if (token.size() > config.max_token_bytes) return AuthResult::failure(F::malformed);

    auto dot1 = token.find('.');
    auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return AuthResult::failure(F::malformed);
    auto header = decode_object(token.substr(0, dot1));
    auto claims = decode_object(token.substr(dot1 + 1, dot2 - dot1 - 1));
    if (!header || !claims) return AuthResult::failure(F::malformed);

    // Pin the algorithm before verifying: a token must never choose how it is checked
    // ("alg":"none", or an asymmetric alg whose public key would be fed in as an HMAC secret).
    auto alg = header->find("alg");
    if (alg == header->end() || !alg->is_string()) return AuthResult::failure(F::alg_not_allowed);
    const auto& alg_name = alg->get_ref<const std::string&>();
    JwtAlgorithm pinned = config.algorithm;
    const std::string* key = config.algorithm == JwtAlgorithm::hs256 ? &config.secret : &config.public_key;
    if (config.jwks) {
        // The key decides the algorithm; HS256 never applies to published keys.
        if (alg_name != to_string(JwtAlgorithm::rs256) && alg_name != to_string(JwtAlgorithm::es256))
            return AuthResult::failure(F::alg_not_allowed);
        auto kid = header->find("kid");
        if (kid == header->end() || !kid->is_string()) return AuthResult::failure(F::unknown_key);
        const JwksKey* found = config.jwks->find(kid->get_ref<const std::string&>());
        if (!found) return AuthResult::failure(F::unknown_key);
        pinned = found->algorithm;
        key = &found->public_key_pem;
    }
    if (alg_name != to_string(pinned)) return AuthResult::failure(F::alg_not_allowed);
    if (token.size() == dot2 + 1) return AuthResult::failure(F::bad_signature);

    if (key->empty()) return AuthResult::failure(F::bad_signature);
    std::string token_z(token);
    auto signature_holds = [&](const std::string& k) {
        jwt_t* raw = nullptr;
        int rc = jwt_decode(&raw, token_z.c_str(), reinterpret_cast<const unsigned char*>(k.data()),
                            static_cast<int>(k.size()));
        JwtPtr jwt(raw);
        return rc == 0 && jwt && jwt_get_alg(jwt.get()) == to_libjwt(pinned);
    };
    bool verified = signature_holds(*key);
    // During an HS256 rotation, tokens issued before the switch still verify with the old secret.
    if (!verified && pinned == JwtAlgorithm::hs256 && !config.jwks && !config.previous_secret.empty())
        verified = signature_holds(config.previous_secret);
    if (!verified) return AuthResult::failure(F::bad_signature);

    // Claims are read from the same bytes libjwt has just verified.
    auto exp_it = claims->find("exp");
    if (exp_it == claims->end()) return AuthResult::failure(F::missing_exp);
    auto exp = numeric_date(*exp_it);
    if (!exp) return AuthResult::failure(F::missing_exp);
    if (now > *exp + config.leeway) return AuthResult::failure(F::expired);
    if (auto nbf_it = claims->find("nbf"); nbf_it != claims->end()) {
        auto nbf = numeric_date(*nbf_it);
        if (!nbf || now + config.leeway < *nbf) return AuthResult::failure(F::not_yet_valid);
    }

    if (!config.audience.empty()) {
        auto aud = claims->find("aud");
        bool named = false;
        if (aud != claims->end() && aud->is_string()) named = aud->get_ref<const std::string&>() == config.audience;
        if (aud != claims->end() && aud->is_array())
            for (const auto& a : *aud)
                if (a.is_string() && a.get_ref<const std::string&>() == config.audience) named = true;
        if (!named) return AuthResult::failure(F::wrong_audience);
    }
    if (!config.issuer.empty()) {
        auto iss = claims->find("iss");
        if (iss == claims->end() || !iss->is_string() || iss->get_ref<const std::string&>() != config.issuer)
            return AuthResult::failure(F::wrong_issuer);
    }

    auto sub = claims->find(config.user_claim);
    if (sub == claims->end() || !sub->is_string()) return AuthResult::failure(F::missing_subject);
    const auto& user = sub->get_ref<const std::string&>();
    if (!is_valid_id(user)) return AuthResult::failure(F::invalid_subject);
    std::string token_id;
    if (auto jti = claims->find("jti"); jti != claims->end() && jti->is_string()) token_id = jti->get<std::string>();
    return AuthResult::success(Identity{user, *exp, std::move(token_id)});
}

std::optional<std::string> public_key_error(std::string_view pem, JwtAlgorithm algorithm) {
    if (algorithm == JwtAlgorithm::hs256) return std::string("HS256 verifies with a secret, not a public key");
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    if (!bio) return std::string("out of memory");
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                                            &EVP_PKEY_free);
    if (!key) return std::string("not a PEM public key");
    if (algorithm == JwtAlgorithm::rs256 && !EVP_PKEY_is_a(key.get(), "RSA"))
        return std::string("not an RSA key (RS256 needs one)");
    if (algorithm == JwtAlgorithm::es256) {
        char group[64] = {};
        std::size_t len = 0;
        if (!EVP_PKEY_is_a(key.get(), "EC") ||
            EVP_PKEY_get_utf8_string_param(key.get(), "group", group, sizeof group, &len) != 1 ||
            std::string_view(group, len) != "prime256v1")
            return std::string("not an EC P-256 key (ES256 needs one)");
    }
    return std::nullopt;
}

std::string sign_token(std::string_view claims_json, JwtAlgorithm algorithm, std::string_view secret,
                       std::string_view kid) {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
    JwtPtr jwt(raw);
    std::string claims(claims_json);
    if (jwt_add_grants_json(jwt.get(), claims.c_str()) != 0) throw std::invalid_argument("claims are not a JSON object");
    if (jwt_set_alg(jwt.get(), to_libjwt(algorithm), reinterpret_cast<const unsigned char*>(secret.data()),
                    static_cast<int>(secret.size())) != 0)
        throw std::invalid_argument("cannot sign with this key");
    if (!kid.empty() && jwt_add_header(jwt.get(), "kid", std::string(kid).c_str()) != 0)
        throw std::invalid_argument("cannot set the kid header");
    std::unique_ptr<char, decltype(&std::free)> out(jwt_encode_str(jwt.get()), &std::free);
    if (!out) throw std::runtime_error("jwt_encode_str failed");
    return out.get();
}

}  // namespace wsgw
