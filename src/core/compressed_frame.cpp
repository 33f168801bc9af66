#include "wsgw/compressed_frame.hpp"

#include <string_view>

#include "wsgw/message_deflate.hpp"
#include "wsgw/ws_frame.hpp"

namespace wsgw {

const std::string& CompressedFrame::for_deflate(const std::string& frame, std::size_t min_bytes) const {
    std::call_once(once_, [&] {
        // Only whole text messages: control frames (pings, pongs) are never compressed.
        if (frame.empty() || static_cast<unsigned char>(frame[0]) != 0x81) return;
        const auto payload = ws::frame_payload(frame);
        if (payload.size() < min_bytes) return;
        auto deflated = ws::deflate_message(payload);
        if (!deflated || deflated->size() >= payload.size()) return;
        compressed_ = ws::make_compressed_frame(ws::Opcode::text, *deflated);
    });
    return compressed_.empty() ? frame : compressed_;
}

}  // namespace wsgw
