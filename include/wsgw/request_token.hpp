#pragma once
// Where a client's token is: the query, the Authorization header or a cookie, in that order.
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// Where a token was found. A cookie is an ambient credential: the browser attaches it to a
// request that any site starts, so a cookie token is believed only from an allowed Origin
// (OriginPolicy::check_ambient). The query and the header are sent only by code that holds the
// token itself.
enum class TokenSource { query, header, cookie };

struct FoundToken {
    std::string value;
    TokenSource source;
};

// Token sources in order: `token` query parameter, Authorization bearer, cookie `cookie_name`.
std::optional<FoundToken> extract_token(std::string_view target, std::string_view authorization,
                                        std::string_view cookie_header, std::string_view cookie_name);

}  // namespace wsgw
