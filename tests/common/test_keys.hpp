#pragma once
// Key pairs made for a test run with OpenSSL, and their public halves as JWKs (RFC 7517/7518),
// so the tests need no key material checked in and no tool but the library the gateway uses.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace wsgw::test_keys {

inline std::string base64url(std::string_view in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : in) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += kAlphabet[(acc >> bits) & 63];
        }
    }
    if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
    return out;
}

struct KeyPair {
    std::string kid;
    std::string private_pem;  // what signs test tokens (wsgw::sign_token)
    nlohmann::json jwk;       // the public half, as a provider publishes it
};

namespace detail {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline std::string private_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw std::runtime_error("cannot write a private key");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

inline std::string bn_param(EVP_PKEY* key, const char* name) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("cannot read a key parameter");
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
}

}  // namespace detail

inline KeyPair make_rsa(const std::string& kid, unsigned bits = 2048) {
    detail::Pkey key(EVP_RSA_gen(bits));
    if (!key) throw std::runtime_error("RSA key generation failed");
    KeyPair k{kid, detail::private_pem(key.get()), {}};
    k.jwk = {{"kty", "RSA"},
             {"kid", kid},
             {"use", "sig"},
             {"alg", "RS256"},
             {"n", base64url(detail::bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N))},
             {"e", base64url(detail::bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E))}};
    return k;
}

inline KeyPair make_ec(const std::string& kid, const char* curve = "P-256") {
    detail::Pkey key(EVP_EC_gen(curve));
    if (!key) throw std::runtime_error("EC key generation failed");
    unsigned char point[160];
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) != 1 || len < 3 ||
        point[0] != 0x04)
        throw std::runtime_error("cannot read the EC public point");
    const std::size_t coord = (len - 1) / 2;
    std::string_view p(reinterpret_cast<const char*>(point), len);
    KeyPair k{kid, detail::private_pem(key.get()), {}};
    k.jwk = {{"kty", "EC"},
             {"kid", kid},
             {"use", "sig"},
             {"crv", std::string(curve) == "P-256" ? "P-256" : curve},
             {"x", base64url(p.substr(1, coord))},
             {"y", base64url(p.substr(1 + coord, coord))}};
    return k;
}

// The public half of a PEM private key, as PEM.
inline std::string public_pem(const std::string& private_pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())),
                                                 &BIO_free);
    detail::Pkey key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
    if (!key || !out || PEM_write_bio_PUBKEY(out.get(), key.get()) != 1) throw std::runtime_error("cannot write a public key");
    char* data = nullptr;
    long len = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

inline std::string jwks_of(const std::vector<const KeyPair*>& keys) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto* k : keys) list.push_back(k->jwk);
    return nlohmann::json{{"keys", list}}.dump();
}

}  // namespace wsgw::test_keys
