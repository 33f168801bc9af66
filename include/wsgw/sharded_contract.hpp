#pragma once
// Sharded mode's contract with publishers and with Redis (redis_pubsub_mode = sharded).
//
// A backend publishes with one atomic call, routed by the user:
//   FCALL wsgw_publish 1 <user> <channel> <message>   ->  the message id
// where <channel> is user_noti:<user> or project:<project>:<user>. The function (library "wsgw",
// generated here from the retention settings and loaded by every gateway on every primary):
// - refuses any other channel form, a channel of another user, or a message past
//   max_message_bytes, with an error to the publisher and nothing stored;
// - XADDs {c: channel, m: message} to the user's stream, trimmed to about
//   resume_max_messages_per_user entries (MAXLEN ~) and expired after resume_window_s without a
//   message;
// - SPUBLISHes "<id> <channel> <message>" to the user's shard channel.
// Stream and shard channel carry the user in a hash tag, so both live in the user's slot: the
// slot of the key <user> that FCALL names, which is where a cluster routes the call.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

inline constexpr std::string_view kPublishLibrary = "wsgw";
inline constexpr std::string_view kPublishFunction = "wsgw_publish";

// "wsgw:{<user>}:stream" and "wsgw:{<user>}:live".
std::string user_stream_key(std::string_view user);
std::string user_shard_channel(std::string_view user);
// The user of a shard channel name; nullopt when the name is not one.
std::optional<std::string_view> shard_channel_user(std::string_view channel) noexcept;

// What a shard channel carries: the stream id, the channel the publisher named, the message.
struct LiveMessage {
    std::string_view id;
    std::string_view channel;
    std::string_view message;
};
// nullopt unless the payload has the shape "<id> <channel> <message>" with both separators.
std::optional<LiveMessage> parse_live_message(std::string_view payload) noexcept;

struct StreamRetention {
    std::uint64_t max_messages_per_user = 256;  // 0: nothing kept (resume and replay off)
    std::chrono::seconds window{300};           // 0: nothing kept
    std::size_t max_message_bytes = 65536;      // larger messages are refused to the publisher
};

// The Lua source of the function library for FUNCTION LOAD REPLACE.
std::string publish_library_source(const StreamRetention& retention);

}  // namespace wsgw
