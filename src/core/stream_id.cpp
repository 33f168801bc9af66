#include "wsgw/stream_id.hpp"

#include <algorithm>
#include <charconv>

#include "wsgw/unix_time.hpp"

namespace wsgw {

namespace {

bool parse_part(std::string_view text, std::uint64_t& out) noexcept {
    if (text.empty() || text.size() > 20) return false;
    for (char c : text)
        if (c < '0' || c > '9') return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

std::chrono::system_clock::time_point StreamId::time() const noexcept {
    // system_clock counts nanoseconds in 64 bits (to 2262): an id from a far-off clock is clamped
    // where every time from outside is (wsgw/unix_time.hpp), so converting it stays defined.
    constexpr auto kMaxMs = static_cast<std::uint64_t>(kLatestUnixSeconds) * 1000;
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, kMaxMs)))));
}

std::string StreamId::text() const { return std::to_string(ms) + "-" + std::to_string(seq); }

std::optional<StreamId> parse_stream_id(std::string_view text) noexcept {
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    StreamId id;
    if (!parse_part(text.substr(0, dash), id.ms) || !parse_part(text.substr(dash + 1), id.seq)) return std::nullopt;
    return id;
}

}  // namespace wsgw
