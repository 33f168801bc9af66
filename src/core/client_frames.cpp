#include "wsgw/client_frames.hpp"

#include <nlohmann/json.hpp>

#include "wsgw/time_format.hpp"

namespace wsgw {

ClientFrame classify_client_text(std::string_view text) {
    // Inbound frames are capped by max_inbound_frame_bytes before they get here, so parsing is cheap.
    auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return ClientFrame::ignored;
    auto it = doc.find("type");
    if (it != doc.end() && it->is_string() && it->get_ref<const std::string&>() == "ping") return ClientFrame::ping;
    return ClientFrame::ignored;
}

std::string make_pong(std::chrono::system_clock::time_point now) {
    return R"({"type":"pong","timestamp":")" + format_utc_seconds(now) + "\"}";
}

std::string make_resync(std::chrono::system_clock::time_point now) {
    return R"({"type":"resync","payload":{"reason":"unknown_last_id"},"timestamp":")" + format_utc_seconds(now) + "\"}";
}

}  // namespace wsgw
