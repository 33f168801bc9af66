#pragma once
// Reading top-level members of a JSON object as text, without parsing it: the forwarded payload
// is cut from the publisher's own bytes, and a message kept raw is sketched (type, project) at a
// small fraction of a parse. The scan never reads past the text, whatever it is given; on text
// that is not JSON it returns something or nothing, never an error, so only text already parsed
// (or parsed later, before anyone sees the result) may be trusted to it.
#include <cstring>
#include <optional>
#include <string_view>

namespace wsgw::json_scan {

// Calls fn(name, value_text) for each top-level member of the object `s`, in order. False when
// `s` does not open an object, when the text ends early, or when a key is escaped (it could spell
// any name): the caller then cannot trust what it saw.
template <class Fn>
bool for_each_member(std::string_view s, Fn&& fn) {
    // Pointers, not indexes into a string_view: this runs over every message kept raw, and the
    // checked accessors cost more than the scan itself.
    const char* p = s.data();
    const char* const end = p + s.size();
    bool cut = false;  // a string or a nested value ran past the end
    auto ws = [&] {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
    };
    // At an opening quote; ends past the closing one, or sets `cut` when there is none.
    // Strings are most of a message's text: jump from quote to quote, and a quote preceded by an
    // odd run of backslashes is escaped.
    auto skip_string = [&] {
        ++p;
        while (p < end) {
            const auto* quote = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
            if (!quote) break;
            const char* run = quote;
            while (run > p && run[-1] == '\\') --run;
            p = quote + 1;
            if ((quote - run) % 2 == 0) return;
        }
        p = end;
        cut = true;
    };
    auto skip_value = [&] {
        if (*p == '"') return skip_string();
        if (*p == '{' || *p == '[') {
            std::size_t depth = 0;
            while (p < end) {
                const char c = *p;
                if (c == '"') {
                    skip_string();
                    continue;
                }
                ++p;
                if (c == '{' || c == '[') {
                    ++depth;
                } else if (c == '}' || c == ']') {
                    if (--depth == 0) return;
                }
            }
            cut = true;  // never closed
            return;
        }
        while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            ++p;
    };
    ws();
    if (p >= end || *p != '{') return false;
    ++p;
    while (true) {
        ws();
        if (p < end && *p == '}') return true;
        if (p >= end || *p != '"') return false;
        const char* const key = p + 1;
        skip_string();
        if (cut) return false;
        const std::string_view name(key, static_cast<std::size_t>(p - 1 - key));
        for (char c : name)
            if (c == '\\') return false;
        ws();
        if (p >= end || *p != ':') return false;
        ++p;
        ws();
        if (p >= end) return false;
        const char* const value = p;
        skip_value();
        if (cut) return false;
        fn(name, std::string_view(value, static_cast<std::size_t>(p - value)));
        ws();
        if (p < end && *p == ',') {
            ++p;
            continue;
        }
        return p < end && *p == '}';
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
