#pragma once
// Reading top-level members of a JSON object as text, without parsing it: the forwarded payload
// is cut from the publisher's own bytes, and a message kept raw is sketched (type, project) at a
// small fraction of a parse. The scan never reads past the text, whatever it is given; on text
// that is not JSON it returns something or nothing, never an error, so only text already parsed
// (or parsed later, before anyone sees the result) may be trusted to it.
#include <optional>
#include <string_view>

namespace wsgw::json_scan {

// Calls fn(name, value_text) for each top-level member of the object `s`, in order. False when
// `s` does not open an object, when the text ends early, or when a key is escaped (it could spell
// any name): the caller then cannot trust what it saw.
template <class Fn>
bool for_each_member(std::string_view s, Fn&& fn) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    auto ws = [&] {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    };
    auto skip_string = [&] {  // at the opening quote; ends past the closing one
        for (++i; i < n && s[i] != '"'; ++i)
            if (s[i] == '\\') ++i;
        ++i;
    };
    auto skip_value = [&] {
        if (i >= n) return;
        if (s[i] == '"') return skip_string();
        if (s[i] == '{' || s[i] == '[') {
            std::size_t depth = 0;
            do {
                if (s[i] == '"') {
                    skip_string();
                    continue;
                }
                if (s[i] == '{' || s[i] == '[') ++depth;
                if (s[i] == '}' || s[i] == ']') --depth;
                ++i;
            } while (i < n && depth > 0);
            return;
        }
        while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
               s[i] != '\r')
            ++i;
    };
    ws();
    if (i >= n || s[i] != '{') return false;
    ++i;
    while (true) {
        ws();
        if (i < n && s[i] == '}') return true;
        if (i >= n || s[i] != '"') return false;
        const std::size_t key_start = i + 1;
        skip_string();
        if (i > n) return false;
        const std::string_view name = s.substr(key_start, i - 1 - key_start);
        if (name.find('\\') != std::string_view::npos) return false;
        ws();
        if (i >= n || s[i] != ':') return false;
        ++i;
        ws();
        const std::size_t value_start = i;
        skip_value();
        if (i > n || value_start >= n) return false;
        fn(name, s.substr(value_start, i - value_start));
        ws();
        if (i < n && s[i] == ',') {
            ++i;
            continue;
        }
        return i < n && s[i] == '}';
    }
}

// The text of the last top-level member `key` of the object `s`; nullopt when absent or when the
// object cannot be read (see for_each_member).
inline std::optional<std::string_view> member(std::string_view s, std::string_view key) {
    std::optional<std::string_view> found;
    if (!for_each_member(s, [&](std::string_view name, std::string_view value) {
            if (name == key) found = value;
        }))
        return std::nullopt;
    return found;
}

// The contents of a JSON string token with no escapes in it; nullopt for anything else.
inline std::optional<std::string_view> plain_string(std::string_view token) noexcept {
    if (token.size() < 2 || token.front() != '"' || token.back() != '"') return std::nullopt;
    token = token.substr(1, token.size() - 2);
    if (token.find('\\') != std::string_view::npos || token.find('"') != std::string_view::npos) return std::nullopt;
    return token;
}

}  // namespace wsgw::json_scan
