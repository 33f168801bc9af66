#include "wsgw/channel.hpp"

namespace wsgw {

namespace {
constexpr std::string_view kUserPrefix = "user_noti:";
constexpr std::string_view kProjectPrefix = "project:";

constexpr bool is_id_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}
}  // namespace

bool is_valid_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > kMaxIdLength) return false;
    for (char c : id)
        if (!is_id_char(c)) return false;
    return true;
}

std::optional<Channel> parse_channel(std::string_view name) {
    if (name.starts_with(kUserPrefix)) {
        auto user = name.substr(kUserPrefix.size());
        if (!is_valid_id(user)) return std::nullopt;
        return Channel{ChannelKind::user, std::string(user), {}};
    }
    if (name.starts_with(kProjectPrefix)) {
        auto rest = name.substr(kProjectPrefix.size());
        auto colon = rest.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        auto project = rest.substr(0, colon);
        auto user = rest.substr(colon + 1);
        // A third segment ("project:p:u:x") leaves a ':' in user, which is_valid_id refuses.
        if (!is_valid_id(project) || !is_valid_id(user)) return std::nullopt;
        return Channel{ChannelKind::project, std::string(user), std::string(project)};
    }
    return std::nullopt;
}

std::string_view to_string(ChannelKind kind) noexcept {
    return kind == ChannelKind::user ? "user" : "project";
}

}  // namespace wsgw
