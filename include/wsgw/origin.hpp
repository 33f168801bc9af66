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

    // A request authenticated by a cookie, which the browser attaches to requests that any site
    // starts (cross-site WebSocket hijacking, and an <img> or <iframe> opening event streams
    // that use up the user's connection slots). Facts as the request gave them; `host` is the
    // Host header, or the forwarded host when a trusted proxy sent one.
    //  - With an Origin: it must be allowed by the list, or, when the list is empty, be the
    //    request's own origin (its host and port those of `host`, the port defaulting to the
    //    Origin's scheme's).
    //  - Without one: browsers always send it on WebSocket upgrades, so a client without it is
    //    not a browser acting for another site. An event stream's GET goes without it when the
    //    page is same-origin, and so does an <img> on another site's page: Sec-Fetch-Site tells
    //    them apart, and "cross-site" or "same-site" (a sibling subdomain) is refused.
    enum class Ambient { allowed, origin_not_allowed, cross_site_without_origin };
    Ambient check_ambient(std::optional<std::string_view> origin, std::string_view host,
                          std::string_view sec_fetch_site) const;

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
