// libFuzzer target: message validation and normalization on both channel kinds. Any input must
// give a clean accept or reject; an accepted frame must itself be valid JSON with exactly type,
// id, payload and timestamp, a valid id, and a timestamp in UTC ("Z"). The sketch of a message
// kept raw reads the same unvalidated bytes and must stay within them.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "wsgw/message.hpp"
#include "wsgw/message_sketch.hpp"
#include "wsgw/time_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view raw(reinterpret_cast<const char*>(data), size);
    static const wsgw::Channel user{wsgw::ChannelKind::user, "u1", ""};
    static const wsgw::Channel project{wsgw::ChannelKind::project, "u1", "p1"};
    wsgw::MessageLimits limits;
    auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'765'000'000));
    for (const auto* channel : {&user, &project}) {
        auto sketch = wsgw::sketch_message(raw, *channel, limits);
        if (sketch && !sketch->project_id.empty() &&
            (sketch->project_id.data() < raw.data() || sketch->project_id.data() + sketch->project_id.size() > raw.data() + raw.size()))
            __builtin_trap();
        auto r = wsgw::validate_message(raw, *channel, limits, now);
        if (!r.ok()) continue;
        auto frame = nlohmann::json::parse(r.message().frame, nullptr, false);
        if (frame.is_discarded() || !frame.is_object() || frame.size() != 4 || !frame["payload"].is_object())
            __builtin_trap();
        if (!frame["id"].is_string() || frame["id"] != r.message().id || !wsgw::is_valid_id(r.message().id))
            __builtin_trap();
        if (!frame["timestamp"].is_string()) __builtin_trap();
        const auto ts = frame["timestamp"].get<std::string>();
        if (ts.back() != 'Z' || wsgw::to_utc_rfc3339(ts) != ts) __builtin_trap();
    }
    return 0;
}
