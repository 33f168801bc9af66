#pragma once
// Origin allowlist for the upgrade request (cross-site WebSocket hijacking defence).
//
// Entries are exact origins ("https://app.example.com", scheme and host compared without
// case, port significant) or host wildcards ("https://*.example.com" matches one or more labels
// before example.com, never example.com itself). An empty list disables the check.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsgw {

class OriginPolicy {
public:
    OriginPolicy() = default;
    // Parses a comma-separated list; nullopt with `error` set when an entry is not an origin.
    static std::optional<OriginPolicy> parse(std::string_view list, std::string& error);

    bool enabled() const noexcept { return !entries_.empty(); }
    // A request without an Origin header is allowed: browsers always send one on WebSocket
    // upgrades, and a non-browser client can forge any value anyway.
    bool allows(std::optional<std::string_view> origin) const;

private:
    struct Entry {
        std::string scheme;
        std::string host;  // without "*." for wildcards
        std::string port;  // empty: the scheme's default
        bool wildcard = false;
    };
    static std::optional<Entry> parse_origin(std::string_view text, bool allow_wildcard);
    std::vector<Entry> entries_;
};

}  // namespace wsgw
