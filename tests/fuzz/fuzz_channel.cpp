// libFuzzer target: what Redis hands the gateway as a channel: a channel name, or (sharded mode)
// a shard channel's name and its "<stream id> <channel> <message>" payload. Whatever parses must
// carry valid ids, and a parsed stream id must write back to the text it came from.
#include <cstdint>
#include <string_view>

#include "wsgw/channel.hpp"
#include "wsgw/sharded_contract.hpp"
#include "wsgw/stream_id.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view name(reinterpret_cast<const char*>(data), size);
    if (auto c = wsgw::parse_channel(name)) {
        if (!wsgw::is_valid_id(c->user_id)) __builtin_trap();
        if (c->kind == wsgw::ChannelKind::project && !wsgw::is_valid_id(c->project_id)) __builtin_trap();
    }
    if (auto user = wsgw::shard_channel_user(name); user && wsgw::user_shard_channel(*user) != name) __builtin_trap();
    if (auto live = wsgw::parse_live_message(name)) {
        if (live->id.size() + live->channel.size() + live->message.size() + 2 != size) __builtin_trap();
        if (auto id = wsgw::parse_stream_id(live->id)) {
            // Leading zeros are the one form that parses and writes back shorter.
            if (id->text().size() > live->id.size()) __builtin_trap();
            if (*wsgw::parse_stream_id(id->text()) != *id) __builtin_trap();
            (void)id->time();  // clamped: no overflow under UBSan
        }
    }
    return 0;
}
