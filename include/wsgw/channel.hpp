#pragma once
// Redis channel names -> routing target.
//
//   user_noti:{userID}             -> every socket of userID
//   project:{projectID}:{userID}   -> every socket of userID whose project filter admits projectID
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// The patterns the subscriber listens on; every channel they match goes through parse_channel.
inline constexpr std::string_view kUserPattern = "user_noti:*";
inline constexpr std::string_view kProjectPattern = "project:*:*";

enum class ChannelKind { user, project };

struct Channel {
    ChannelKind kind = ChannelKind::user;
    std::string user_id;
    std::string project_id;  // empty for ChannelKind::user
};

// Liveness probes travel on "user_noti:~probe~<instance>": matched by the subscription, yet no
// user can own it ('~' is not an id character). Each gateway instance ignores the others' probes.
inline constexpr std::string_view kProbeChannelPrefix = "user_noti:~probe~";

// An id is 1..64 characters of [A-Za-z0-9_-]. The same rule guards user ids taken from tokens
// and project filters taken from query strings, so every id that reaches the registry is one
// a channel name could carry.
inline constexpr std::size_t kMaxIdLength = 64;
bool is_valid_id(std::string_view id) noexcept;

// nullopt when the name has the wrong shape or an invalid id.
std::optional<Channel> parse_channel(std::string_view name);

std::string_view to_string(ChannelKind kind) noexcept;

}  // namespace wsgw
