#include "wsgw/sharded_contract.hpp"

namespace wsgw {

namespace {

constexpr std::string_view kKeyPrefix = "wsgw:{";
constexpr std::string_view kStreamSuffix = "}:stream";
constexpr std::string_view kLiveSuffix = "}:live";

}  // namespace

std::string user_stream_key(std::string_view user) {
    return std::string(kKeyPrefix).append(user).append(kStreamSuffix);
}

std::string user_shard_channel(std::string_view user) {
    return std::string(kKeyPrefix).append(user).append(kLiveSuffix);
}

std::optional<std::string_view> shard_channel_user(std::string_view channel) noexcept {
    if (!channel.starts_with(kKeyPrefix) || !channel.ends_with(kLiveSuffix)) return std::nullopt;
    if (channel.size() <= kKeyPrefix.size() + kLiveSuffix.size()) return std::nullopt;
    return channel.substr(kKeyPrefix.size(), channel.size() - kKeyPrefix.size() - kLiveSuffix.size());
}

std::optional<LiveMessage> parse_live_message(std::string_view payload) noexcept {
    const auto first = payload.find(' ');
    if (first == std::string_view::npos || first == 0) return std::nullopt;
    const auto second = payload.find(' ', first + 1);
    if (second == std::string_view::npos || second == first + 1) return std::nullopt;
    return LiveMessage{payload.substr(0, first), payload.substr(first + 1, second - first - 1), payload.substr(second + 1)};
}

std::string publish_library_source(const StreamRetention& retention) {
    const bool keep = retention.max_messages_per_user != 0 && retention.window.count() != 0;
    // Nothing kept still adds (the id comes from the stream) and trims to nothing; the empty
    // stream then expires after a second instead of lingering.
    const std::string trim = keep ? "'MAXLEN', '~', " + std::to_string(retention.max_messages_per_user)
                                  : std::string("'MAXLEN', 0");
    const std::string expire_ms = std::to_string(keep ? retention.window.count() * 1000 : 1000);
    std::string s;
    s += "#!lua name=";
    s += kPublishLibrary;
    s += "\n-- ws-gateway sharded mode (redis_pubsub_mode = sharded), generated from its settings:\n";
    s += "-- resume_max_messages_per_user = " + std::to_string(retention.max_messages_per_user) +
         ", resume_window_s = " + std::to_string(retention.window.count()) +
         ", max_message_bytes = " + std::to_string(retention.max_message_bytes) + ".\n";
    s += "-- Every gateway of a fleet loads it on every primary: run them all with the same settings.\n";
    s += R"LUA(local function valid_id(s)
  return #s >= 1 and #s <= 64 and not string.find(s, '[^%w_%-]')
end

local function publish(keys, args)
  if #keys ~= 1 or #args ~= 2 then
    return redis.error_reply('ERR wsgw_publish takes one key (the user) and two arguments (channel, message)')
  end
  local user, channel, message = keys[1], args[1], args[2]
  if not valid_id(user) then
    return redis.error_reply('ERR wsgw_publish: the user must be 1-64 characters of A-Z a-z 0-9 _ -')
  end
  local fits = channel == 'user_noti:' .. user
  if not fits then
    local project, owner = string.match(channel, '^project:([^:]*):([^:]*)$')
    fits = project ~= nil and owner == user and valid_id(project)
  end
  if not fits then
    return redis.error_reply('ERR wsgw_publish: the channel must be user_noti:<user> or project:<project>:<user> for the user named as the key')
  end
)LUA";
    s += "  if #message > " + std::to_string(retention.max_message_bytes) + " then\n";
    s += "    return redis.error_reply('ERR wsgw_publish: the message is larger than max_message_bytes (" +
         std::to_string(retention.max_message_bytes) + ")')\n  end\n";
    s += "  local stream = 'wsgw:{' .. user .. '}:stream'\n";
    s += "  local id = redis.call('XADD', stream, " + trim + ", '*', 'c', channel, 'm', message)\n";
    s += "  redis.call('PEXPIRE', stream, " + expire_ms + ")\n";
    s += "  redis.call('SPUBLISH', 'wsgw:{' .. user .. '}:live', id .. ' ' .. channel .. ' ' .. message)\n";
    s += "  return id\nend\n\nredis.register_function('";
    s += kPublishFunction;
    s += "', publish)\n";
    return s;
}

}  // namespace wsgw
