// libFuzzer target: a JSON Web Key Set document from an identity provider (parse_jwks), then a
// lookup of every kid it produced. A bad document must never crash and never yield a key
// without a PEM or under an empty kid.
#include <cstdint>
#include <string_view>

#include "wsgw/jwks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto parsed = wsgw::parse_jwks(in);
    if (parsed.ok() == parsed.keys.keys.empty()) __builtin_trap();
    if (parsed.keys.keys.size() > wsgw::kMaxJwksKeys) __builtin_trap();
    for (const auto& [kid, key] : parsed.keys.keys) {
        if (kid.empty() || kid.size() > wsgw::kMaxJwksKidBytes) __builtin_trap();
        if (key.public_key_pem.find("-----BEGIN PUBLIC KEY-----") != 0) __builtin_trap();
        if (key.algorithm != wsgw::JwtAlgorithm::rs256 && key.algorithm != wsgw::JwtAlgorithm::es256) __builtin_trap();
        if (parsed.keys.find(kid) != &key) __builtin_trap();
    }
    return 0;
}
