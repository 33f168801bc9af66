#include "wsgw/message_id.hpp"

#include <cstdint>

namespace wsgw {

namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void fnv1a(std::uint64_t& h, std::string_view bytes) noexcept {
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ull;
    }
}

}  // namespace

std::string derived_message_id(const Channel& channel, std::string_view raw) {
    // The channel name, field by field, exactly as it was published on.
    std::uint64_t h = 14695981039346656037ull;
    if (channel.kind == ChannelKind::user) {
        fnv1a(h, "user_noti:");
    } else {
        fnv1a(h, "project:");
        fnv1a(h, channel.project_id);
        fnv1a(h, ":");
    }
    fnv1a(h, channel.user_id);
    fnv1a(h, std::string_view("\0", 1));  // no channel name runs into the payload
    fnv1a(h, raw);
    std::string id(11, 'A');
    for (int i = 10; i >= 0; --i) {
        id[static_cast<std::size_t>(i)] = kBase64Url[h & 63];
        h >>= 6;
    }
    return id;
}

}  // namespace wsgw
