#include "wsgw/jwks.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <array>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "wsgw/base64url.hpp"

namespace wsgw {

namespace {

using json = nlohmann::json;

struct OpenSslFree {
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
    void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
    void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
    void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(BIO* p) const noexcept { BIO_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, OpenSslFree>;

// A JWK member that must be a base64url string.
std::optional<std::string> member_bytes(const json& jwk, const char* name) {
    auto it = jwk.find(name);
    if (it == jwk.end() || !it->is_string()) return std::nullopt;
    return base64url_decode(it->get_ref<const std::string&>());
}

std::string_view without_leading_zeros(std::string_view bytes) {
    while (!bytes.empty() && bytes.front() == '\0') bytes.remove_prefix(1);
    return bytes;
}

// Builds a public key from OpenSSL parameters, checks it, and writes it as PEM (what libjwt reads).
std::optional<std::string> to_pem(const char* type, const OSSL_PARAM* params) {
    Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return std::nullopt;
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) != 1) return std::nullopt;
    Owned<EVP_PKEY> key(raw);
    Owned<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) return std::nullopt;
    Owned<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) return std::nullopt;
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    if (len <= 0 || !data) return std::nullopt;
    return std::string(data, static_cast<std::size_t>(len));
}

struct Built {
    std::optional<JwksKey> key;
    JwkSkipReason reason = JwkSkipReason::bad_key;
};

Built rsa_key(const json& jwk) {
    auto n = member_bytes(jwk, "n");
    auto e = member_bytes(jwk, "e");
    if (!n || !e) return {std::nullopt, JwkSkipReason::bad_encoding};
    auto modulus = without_leading_zeros(*n);
    auto exponent = without_leading_zeros(*e);
    const std::size_t bits = modulus.empty() ? 0 : modulus.size() * 8 - static_cast<std::size_t>(__builtin_clz(
                                                       static_cast<unsigned char>(modulus.front())) - 24);
    if (bits < kMinRsaModulusBits || bits > kMaxRsaModulusBits || exponent.empty() ||
        exponent.size() > kMaxRsaExponentBytes)
        return {std::nullopt, JwkSkipReason::bad_key};
    Owned<BIGNUM> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(modulus.data()), static_cast<int>(modulus.size()), nullptr));
    Owned<BIGNUM> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(exponent.data()), static_cast<int>(exponent.size()), nullptr));
    Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
        return {std::nullopt, JwkSkipReason::bad_key};
    Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
    if (!params) return {std::nullopt, JwkSkipReason::bad_key};
    auto pem = to_pem("RSA", params.get());
    if (!pem) return {std::nullopt, JwkSkipReason::bad_key};
    return {JwksKey{JwtAlgorithm::rs256, std::move(*pem)}, JwkSkipReason::bad_key};
}

Built ec_key(const json& jwk) {
    auto crv = jwk.find("crv");
    if (crv == jwk.end() || !crv->is_string() || crv->get_ref<const std::string&>() != "P-256")
        return {std::nullopt, JwkSkipReason::unsupported_curve};
    auto x = member_bytes(jwk, "x");
    auto y = member_bytes(jwk, "y");
    if (!x || !y) return {std::nullopt, JwkSkipReason::bad_encoding};
    // RFC 7518 section 6.2.1.2: each coordinate is the full 32 bytes for P-256.
    if (x->size() != 32 || y->size() != 32) return {std::nullopt, JwkSkipReason::bad_key};
    std::string point = "\x04" + *x + *y;  // uncompressed SEC1 form
    Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
        return {std::nullopt, JwkSkipReason::bad_key};
    Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
    if (!params) return {std::nullopt, JwkSkipReason::bad_key};
    auto pem = to_pem("EC", params.get());
    if (!pem) return {std::nullopt, JwkSkipReason::bad_key};
    return {JwksKey{JwtAlgorithm::es256, std::move(*pem)}, JwkSkipReason::bad_key};
}

Built build_key(const json& jwk) {
    auto kty = jwk.find("kty");
    if (kty == jwk.end() || !kty->is_string()) return {std::nullopt, JwkSkipReason::unsupported_kty};
    const auto& type = kty->get_ref<const std::string&>();
    if (type != "RSA" && type != "EC") return {std::nullopt, JwkSkipReason::unsupported_kty};
    if (auto use = jwk.find("use"); use != jwk.end() && (!use->is_string() || use->get_ref<const std::string&>() != "sig"))
        return {std::nullopt, JwkSkipReason::not_for_signing};
    if (auto alg = jwk.find("alg"); alg != jwk.end()) {
        const char* expected = type == "RSA" ? "RS256" : "ES256";
        if (!alg->is_string() || alg->get_ref<const std::string&>() != expected)
            return {std::nullopt, JwkSkipReason::unsupported_alg};
    }
    return type == "RSA" ? rsa_key(jwk) : ec_key(jwk);
}

std::string shown_kid(const json& jwk) {
    auto kid = jwk.find("kid");
    if (kid == jwk.end() || !kid->is_string()) return {};
    return kid->get_ref<const std::string&>().substr(0, kMaxJwksKidBytes);
}

}  // namespace

std::string_view to_string(JwkSkipReason r) noexcept {
    static constexpr std::array<std::string_view, kJwkSkipReasonCount> kNames = {
        "not_an_object", "no_kid",      "duplicate_kid", "unsupported_kty", "unsupported_curve",
        "unsupported_alg", "not_for_signing", "bad_encoding", "bad_key",     "too_many_keys"};
    return kNames[static_cast<std::size_t>(r)];
}

JwksParse parse_jwks(std::string_view document) {
    JwksParse out;
    if (document.size() > kMaxJwksDocumentBytes) {
        out.error = "document is larger than " + std::to_string(kMaxJwksDocumentBytes) + " bytes";
        return out;
    }
    auto doc = json::parse(document, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
        out.error = "not a JSON object";
        return out;
    }
    auto list = doc.find("keys");
    if (list == doc.end() || !list->is_array()) {
        out.error = "no \"keys\" array";
        return out;
    }

    std::set<std::string, std::less<>> duplicated;
    std::size_t index = 0;
    for (const auto& jwk : *list) {
        if (index++ >= kMaxJwksKeys) {
            out.skipped.push_back({jwk.is_object() ? shown_kid(jwk) : std::string(), JwkSkipReason::too_many_keys});
            continue;
        }
        if (!jwk.is_object()) {
            out.skipped.push_back({{}, JwkSkipReason::not_an_object});
            continue;
        }
        auto kid_it = jwk.find("kid");
        if (kid_it == jwk.end() || !kid_it->is_string() || kid_it->get_ref<const std::string&>().empty() ||
            kid_it->get_ref<const std::string&>().size() > kMaxJwksKidBytes) {
            out.skipped.push_back({shown_kid(jwk), JwkSkipReason::no_kid});
            continue;
        }
        const auto& kid = kid_it->get_ref<const std::string&>();
        if (duplicated.contains(kid)) {
            out.skipped.push_back({kid, JwkSkipReason::duplicate_kid});
            continue;
        }
        if (out.keys.keys.contains(kid)) {
            // The first holder of the kid goes too: a token naming it could mean either.
            out.keys.keys.erase(kid);
            duplicated.insert(kid);
            out.skipped.push_back({kid, JwkSkipReason::duplicate_kid});
            out.skipped.push_back({kid, JwkSkipReason::duplicate_kid});
            continue;
        }
        auto built = build_key(jwk);
        if (!built.key) {
            out.skipped.push_back({kid, built.reason});
            // A later entry with this kid would otherwise be taken as if it were the only one.
            duplicated.insert(kid);
            continue;
        }
        out.keys.keys.emplace(kid, std::move(*built.key));
    }
    if (out.keys.keys.empty()) out.error = "no usable signature key (" + std::to_string(out.skipped.size()) + " skipped)";
    return out;
}

}  // namespace wsgw
