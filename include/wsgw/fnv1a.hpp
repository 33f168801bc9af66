#pragma once
// FNV-1a, 64 bits: a hash that is the same in every process and build (unlike std::hash), for
// ids and choices that several instances must agree on.
#include <cstdint>
#include <string_view>

namespace wsgw {

inline constexpr std::uint64_t kFnv1aOffset = 14695981039346656037ull;

inline void fnv1a(std::uint64_t& h, std::string_view bytes) noexcept {
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ull;
    }
}

}  // namespace wsgw
