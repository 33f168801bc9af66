#include "wsgw/compressed_frame.hpp"

#include <string_view>

#include "wsgw/message_deflate.hpp"
#include "wsgw/ws_frame.hpp"

namespace wsgw {

std::string_view server_frame_payload(const std::string& frame) noexcept {
    if (frame.size() < 2) return {};
    const unsigned len7 = static_cast<unsigned char>(frame[1]) & 0x7F;
    const std::size_t header = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
    if (frame.size() < header) return {};
    return std::string_view(frame).substr(header);
}

const std::string& CompressedFrame::for_deflate(const std::string& frame, std::size_t min_bytes) const {
    std::call_once(once_, [&] {
        // Only whole text messages: control frames (pings, pongs) are never compressed.
        if (frame.empty() || static_cast<unsigned char>(frame[0]) != 0x81) return;
        const auto payload = server_frame_payload(frame);
        if (payload.size() < min_bytes) return;
        auto deflated = ws::deflate_message(payload);
        if (!deflated || deflated->size() >= payload.size()) return;
        compressed_ = ws::make_compressed_frame(ws::Opcode::text, *deflated);
    });
    return compressed_.empty() ? frame : compressed_;
}

}  // namespace wsgw
