// libFuzzer target: the request headers an upgrade's admission reads before it trusts anything,
// X-Forwarded-For (every line, joined), X-Real-IP, Origin, Host and Sec-Fetch-Site.
// The input is lines: the TCP peer, then the X-Forwarded-For lines up to an empty line, then
// X-Real-IP, Origin, Host and Sec-Fetch-Site.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wsgw/client_address.hpp"
#include "wsgw/request_headers.hpp"
#include "wsgw/origin.hpp"

namespace {

std::string_view next_line(std::string_view& in) {
    auto nl = in.find('\n');
    auto line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    return line;
}

const wsgw::TrustedProxies& proxies() {
    static const wsgw::TrustedProxies p = [] {
        std::string error;
        return *wsgw::TrustedProxies::parse("10.0.0.0/8, 127.0.0.1, fd00::/8", error);
    }();
    return p;
}

const wsgw::OriginPolicy& listed() {
    static const wsgw::OriginPolicy p = [] {
        std::string error;
        return *wsgw::OriginPolicy::parse("https://app.example, https://*.example.org", error);
    }();
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto peer = next_line(in);
    std::vector<std::string_view> forwarded;
    while (!in.empty()) {
        auto line = next_line(in);
        if (line.empty()) break;
        forwarded.push_back(line);
    }
    auto real_ip = next_line(in);
    auto origin_line = next_line(in);
    auto host = next_line(in);
    auto fetch_site = next_line(in);

    auto address = proxies().resolve(peer, wsgw::join_field_lines(forwarded), real_ip);
    // An address taken from a header is always a canonical IP; the peer itself is kept as it came.
    if (address != peer && !wsgw::canonical_ip(address)) __builtin_trap();

    std::optional<std::string_view> origin;
    if (!origin_line.empty()) origin = origin_line;
    const wsgw::OriginPolicy open;
    auto own = open.check_ambient(origin, host, fetch_site);
    // With no list, an Origin other than the request's own is never allowed for a cookie.
    if (origin && own == wsgw::OriginPolicy::Ambient::allowed && origin->find("://") == std::string_view::npos)
        __builtin_trap();
    (void)listed().check_ambient(origin, host, fetch_site);
    (void)listed().allows(origin);
    return 0;
}
