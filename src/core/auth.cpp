#include "wsgw/auth.hpp"

#include <jwt.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "wsgw/channel.hpp"

namespace wsgw {

namespace {

using json = nlohmann::json;

struct JwtFree {
    void operator()(jwt_t* j) const noexcept { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

int b64url_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

// Only to read the JOSE header and claims before handing the token to libjwt.
std::optional<std::string> b64url_decode(std::string_view in) {
    while (!in.empty() && in.back() == '=') in.remove_suffix(1);
    if (in.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(in.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = b64url_value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return out;
}

std::optional<json> decode_object(std::string_view part) {
    auto text = b64url_decode(part);
    if (!text) return std::nullopt;
    auto doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return std::nullopt;
    return doc;
}

std::optional<std::chrono::system_clock::time_point> numeric_date(const json& v) {
    if (!v.is_number()) return std::nullopt;
    double secs = v.get<double>();
    if (!std::isfinite(secs) || secs < 0) return std::nullopt;
    // Far-future values are clamped (to 2096) so that time arithmetic in nanoseconds, here and
    // in the expiry timer of open sockets, cannot overflow.
    secs = std::min(secs, 4e9);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(secs)));
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
        "invalid_subject", "missing_exp", "expired", "not_yet_valid", "revoked"};
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
    if (alg == header->end() || !alg->is_string() || alg->get_ref<const std::string&>() != to_string(config.algorithm))
        return AuthResult::failure(F::alg_not_allowed);
    if (token.size() == dot2 + 1) return AuthResult::failure(F::bad_signature);

    const std::string& key = config.algorithm == JwtAlgorithm::hs256 ? config.secret : config.public_key;
    if (key.empty()) return AuthResult::failure(F::bad_signature);
    jwt_t* raw = nullptr;
    std::string token_z(token);
    int rc = jwt_decode(&raw, token_z.c_str(), reinterpret_cast<const unsigned char*>(key.data()),
                        static_cast<int>(key.size()));
    JwtPtr jwt(raw);
    if (rc != 0 || !jwt || jwt_get_alg(jwt.get()) != to_libjwt(config.algorithm))
        return AuthResult::failure(F::bad_signature);

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

    auto sub = claims->find(config.user_claim);
    if (sub == claims->end() || !sub->is_string()) return AuthResult::failure(F::missing_subject);
    const auto& user = sub->get_ref<const std::string&>();
    if (!is_valid_id(user)) return AuthResult::failure(F::invalid_subject);
    std::string token_id;
    if (auto jti = claims->find("jti"); jti != claims->end() && jti->is_string()) token_id = jti->get<std::string>();
    return AuthResult::success(Identity{user, *exp, std::move(token_id)});
}

std::string sign_token(std::string_view claims_json, JwtAlgorithm algorithm, std::string_view secret) {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
    JwtPtr jwt(raw);
    std::string claims(claims_json);
    if (jwt_add_grants_json(jwt.get(), claims.c_str()) != 0) throw std::invalid_argument("claims are not a JSON object");
    if (jwt_set_alg(jwt.get(), to_libjwt(algorithm), reinterpret_cast<const unsigned char*>(secret.data()),
                    static_cast<int>(secret.size())) != 0)
        throw std::invalid_argument("cannot sign with this key");
    std::unique_ptr<char, decltype(&std::free)> out(jwt_encode_str(jwt.get()), &std::free);
    if (!out) throw std::runtime_error("jwt_encode_str failed");
    return out.get();
}

}  // namespace wsgw
