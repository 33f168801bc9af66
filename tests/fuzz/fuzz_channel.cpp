// libFuzzer target: Redis channel names. Whatever parses must carry valid ids.
#include <cstdint>
#include <string_view>

#include "wsgw/channel.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view name(reinterpret_cast<const char*>(data), size);
    auto c = wsgw::parse_channel(name);
    if (!c) return 0;
    if (!wsgw::is_valid_id(c->user_id)) __builtin_trap();
    if (c->kind == wsgw::ChannelKind::project && !wsgw::is_valid_id(c->project_id)) __builtin_trap();
    return 0;
}
