#include "wsgw/stream_id.hpp"

#include <charconv>

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
    // Clamped so that an id from a far-off clock cannot overflow the time point's representation.
    constexpr std::uint64_t kMaxMs = 253402300799999;  // 9999-12-31T23:59:59.999Z
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, kMaxMs))));
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
