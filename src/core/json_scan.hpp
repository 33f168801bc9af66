#pragma once
// Reading members of a JSON object as text, without parsing it: the forwarded payload is cut from
// the publisher's own bytes, and a message kept raw is sketched (type, project) at a small
// fraction of a parse. The scan never reads past the text, whatever it is given; on text that is
// not JSON it returns something or nothing, never an error, so only text already parsed (or
// parsed later, before anyone sees the result) may be trusted to it.
#include <cstring>
#include <optional>
#include <string_view>

namespace wsgw::json_scan {

// A cursor over the text. Pointers, not indexes into a string_view: this runs over every message
// kept raw, and the checked accessors cost as much as the scan itself.
class Scanner {
public:
    explicit Scanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

    // False once the text turned out not to be readable (cut short, an escaped name, a missing
    // ':' or ','): what was seen may then not be trusted.
    bool ok() const noexcept { return ok_; }

    // At an object (after white space): steps into it.
    bool enter_object() noexcept {
        ws();
        if (p_ >= end_ || *p_ != '{') return ok_ = false;
        ++p_;
        first_ = true;
        return true;
    }

    // The next member's name, the cursor then at its value; false at the end of the object (the
    // cursor past its '}') or when the text cannot be read (ok() false).
    bool next_member(std::string_view& name) noexcept {
        ws();
        if (p_ < end_ && *p_ == '}') {
            ++p_;
            first_ = false;  // an object closed was a member's value: the next member needs a ','
            return false;
        }
        if (!first_) {
            if (p_ >= end_ || *p_ != ',') return ok_ = false;
            ++p_;
            ws();
        }
        first_ = false;
        if (p_ >= end_ || *p_ != '"') return ok_ = false;
        const char* const key = p_ + 1;
        skip_string();
        if (!ok_) return false;
        name = std::string_view(key, static_cast<std::size_t>(p_ - 1 - key));
        for (char c : name)
            if (c == '\\') return ok_ = false;  // an escaped name could spell any name
        ws();
        if (p_ >= end_ || *p_ != ':') return ok_ = false;
        ++p_;
        ws();
        if (p_ >= end_) return ok_ = false;
        return true;
    }

    // Whether the value at the cursor opens an object.
    bool at_object() const noexcept { return p_ < end_ && *p_ == '{'; }

    // Steps over the value at the cursor; returns its text.
    std::string_view skip_value() noexcept {
        const char* const value = p_;
        if (*p_ == '"') {
            skip_string();
        } else if (*p_ == '{' || *p_ == '[') {
            std::size_t depth = 0;
            while (true) {
                if (p_ >= end_) {
                    ok_ = false;  // never closed
                    break;
                }
                const char c = *p_;
                if (c == '"') {
                    skip_string();
                    if (!ok_) break;
                    continue;
                }
                ++p_;
                if (c == '{' || c == '[') {
                    ++depth;
                } else if ((c == '}' || c == ']') && --depth == 0) {
                    break;
                }
            }
        } else {
            while (p_ < end_ && *p_ != ',' && *p_ != '}' && *p_ != ']' && *p_ != ' ' && *p_ != '\t' && *p_ != '\n' &&
                   *p_ != '\r')
                ++p_;
        }
        return std::string_view(value, static_cast<std::size_t>(p_ - value));
    }

private:
    void ws() noexcept {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
    }

    // At an opening quote; ends past the closing one. Strings are most of a message's text: jump
    // from quote to quote, and a quote preceded by an odd run of backslashes is escaped.
    void skip_string() noexcept {
        ++p_;
        while (p_ < end_) {
            const auto* quote = static_cast<const char*>(std::memchr(p_, '"', static_cast<std::size_t>(end_ - p_)));
            if (!quote) break;
            const char* run = quote;
            while (run > p_ && run[-1] == '\\') --run;
            p_ = quote + 1;
            if ((quote - run) % 2 == 0) return;
        }
        p_ = end_;
        ok_ = false;
    }

    const char* p_;
    const char* end_;
    bool ok_ = true;
    bool first_ = true;
};

// Calls fn(name, value_text) for each top-level member of the object `s`, in order. False when
// `s` is not an object that can be read to its closing brace (see Scanner::ok).
template <class Fn>
bool for_each_member(std::string_view s, Fn&& fn) {
    Scanner scan(s);
    if (!scan.enter_object()) return false;
    std::string_view name;
    while (scan.next_member(name)) {
        const auto value = scan.skip_value();
        if (!scan.ok()) return false;
        fn(name, value);
    }
    return scan.ok();
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
