// libFuzzer target: token extraction from the request target, Authorization and Cookie headers,
// and verification. The input is split on the first two newlines into those three parts.
#include <cstdint>
#include <string_view>

#include "wsgw/auth.hpp"
#include "wsgw/request_token.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto nl1 = in.find('\n');
    auto target = in.substr(0, nl1);
    std::string_view rest = nl1 == std::string_view::npos ? std::string_view{} : in.substr(nl1 + 1);
    auto nl2 = rest.find('\n');
    auto authorization = rest.substr(0, nl2);
    std::string_view cookie = nl2 == std::string_view::npos ? std::string_view{} : rest.substr(nl2 + 1);

    static const wsgw::AuthConfig config = [] {
        wsgw::AuthConfig c;
        c.secret = "fuzz-secret";
        return c;
    }();
    auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'765'000'000));
    if (auto token = wsgw::extract_token(target, authorization, cookie, "wsgw_token")) {
        auto r = wsgw::verify_token(token->value, config, now);
        if (r.ok() && r.identity().user_id.empty()) __builtin_trap();
    }
    // Raw input as a token too, to reach the JOSE parsing directly.
    (void)wsgw::verify_token(in, config, now);
    return 0;
}
