#include "wsgw/origin.hpp"

#include "wsgw/text.hpp"

namespace wsgw {

namespace {

std::string default_port(std::string_view scheme) { return scheme == "https" || scheme == "wss" ? "443" : "80"; }

}  // namespace

std::optional<OriginPolicy::Entry> OriginPolicy::parse_origin(std::string_view text, bool allow_wildcard) {
    auto sep = text.find("://");
    if (sep == std::string_view::npos || sep == 0) return std::nullopt;
    Entry e;
    e.scheme = to_lower(text.substr(0, sep));
    auto rest = text.substr(sep + 3);
    if (rest.empty() || rest.find('/') != std::string_view::npos || rest.find('@') != std::string_view::npos)
        return std::nullopt;
    std::string_view host = rest;
    std::string_view port;
    bool has_port = false;
    if (rest.front() == '[') {  // IPv6 literal: "[::1]" or "[::1]:8443"
        auto close = rest.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = rest.substr(0, close + 1);
        auto after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port = after.substr(1);
            has_port = true;
        }
    } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
        has_port = true;
    }
    if (has_port) {
        if (port.empty() || port.size() > 5) return std::nullopt;
        unsigned value = 0;
        for (char c : port) {
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value == 0 || value > 65535) return std::nullopt;
        e.port = std::to_string(value);
    }
    if (host.starts_with("*.")) {
        if (!allow_wildcard) return std::nullopt;
        e.wildcard = true;
        host.remove_prefix(2);
    }
    if (host.empty() || host.find('*') != std::string_view::npos) return std::nullopt;
    e.host = to_lower(host);
    if (e.port.empty()) e.port = default_port(e.scheme);
    return e;
}

std::optional<OriginPolicy> OriginPolicy::parse(std::string_view list, std::string& error) {
    OriginPolicy policy;
    bool ok = true;
    for_each_item(list, ',', [&](std::string_view item) {
        if (!ok) return;
        auto e = parse_origin(item, /*allow_wildcard=*/true);
        if (!e) {
            error = item_error(item, "is not an origin (scheme://host[:port] or scheme://*.domain)");
            ok = false;
            return;
        }
        policy.entries_.push_back(std::move(*e));
    });
    if (!ok) return std::nullopt;
    return policy;
}

OriginPolicy::Ambient OriginPolicy::check_ambient(std::optional<std::string_view> origin, std::string_view host,
                                                  std::string_view sec_fetch_site) const {
    if (!origin) {
        const auto site = to_lower(trim(sec_fetch_site));
        return site == "cross-site" || site == "same-site" ? Ambient::cross_site_without_origin : Ambient::allowed;
    }
    if (!entries_.empty()) return allows(origin) ? Ambient::allowed : Ambient::origin_not_allowed;
    auto o = parse_origin(trim(*origin), /*allow_wildcard=*/false);
    if (!o || o->host.empty()) return Ambient::origin_not_allowed;
    // The request's own authority, read with the Origin's scheme: "gw.example" behind https is
    // port 443, as the browser's Origin "https://gw.example" is.
    auto own = parse_origin(o->scheme + "://" + std::string(trim(host)), /*allow_wildcard=*/false);
    if (!own) return Ambient::origin_not_allowed;
    return own->host == o->host && own->port == o->port ? Ambient::allowed : Ambient::origin_not_allowed;
}

bool OriginPolicy::allows(std::optional<std::string_view> origin) const {
    if (entries_.empty() || !origin) return true;
    auto o = parse_origin(trim(*origin), /*allow_wildcard=*/false);
    if (!o) return false;  // "null" (sandboxed frames, file://) and garbage never match
    for (const auto& e : entries_) {
        if (e.scheme != o->scheme || e.port != o->port) continue;
        if (!e.wildcard && e.host == o->host) return true;
        if (e.wildcard && o->host.size() > e.host.size() + 1 && o->host.ends_with(e.host) &&
            o->host[o->host.size() - e.host.size() - 1] == '.')
            return true;
    }
    return false;
}

}  // namespace wsgw
