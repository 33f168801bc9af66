#include "wsgw/request_token.hpp"

#include "wsgw/request_headers.hpp"
#include "wsgw/request_target.hpp"

namespace wsgw {

std::optional<FoundToken> extract_token(std::string_view target, std::string_view authorization,
                                        std::string_view cookie_header, std::string_view cookie_name) {
    if (auto t = query_param(target, "token"); t && !t->empty()) return FoundToken{std::move(*t), TokenSource::query};
    if (auto t = bearer_token(authorization)) return FoundToken{std::move(*t), TokenSource::header};
    if (!cookie_name.empty())
        if (auto t = cookie_value(cookie_header, cookie_name); t && !t->empty())
            return FoundToken{std::move(*t), TokenSource::cookie};
    return std::nullopt;
}

}  // namespace wsgw
