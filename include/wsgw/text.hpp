#pragma once
// Small text helpers shared by the parsers of the core library.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// Without leading and trailing spaces, tabs, CR and LF.
std::string_view trim(std::string_view s) noexcept;
std::string to_lower(std::string_view s);
// "'<item>' <what>", for errors about one item of a list. Built by appending: GCC 12 at -O3
// warns (-Wrestrict, a false positive) on the same text built with operator+ from a literal.
std::string item_error(std::string_view item, std::string_view what);
bool iequals(std::string_view a, std::string_view b) noexcept;
// A decimal number made of digits only (no sign, no spaces), or nullopt.
std::optional<std::uint64_t> to_uint(std::string_view s) noexcept;

// Calls fn(item) for every trimmed, non-empty item of a `sep`-separated list.
template <class Fn>
void for_each_item(std::string_view list, char sep, Fn&& fn) {
    while (!list.empty()) {
        auto at = list.find(sep);
        auto item = trim(list.substr(0, at));
        list = at == std::string_view::npos ? std::string_view{} : list.substr(at + 1);
        if (!item.empty()) fn(item);
    }
}

}  // namespace wsgw
