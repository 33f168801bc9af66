// libFuzzer target: client frames with permessage-deflate agreed (RSV1, inflating, the bound).
// Byte 0 picks how the stream is cut into reads, as in fuzz_ws_frame. Byte 1 picks what the
// rest is:
//   bit 0 clear: the client's byte stream itself (the seeds mask with a zero key, so their
//                compressed payloads stand in the clear for the fuzzer to mutate);
//   bit 0 set:   one compressed message's payload, sent as a text (bit 1 clear) or binary
//                message in frames of (bits 2-7) + 1 bytes, RSV1 on the first, masked with a
//                zero key. The parser must then deliver exactly what inflate_message gives,
//                or fail as it does.
// Every delivered message must also survive the server's own compressor: deflated and
// inflated again, it is the same bytes.
#include <cstdint>
#include <string>
#include <vector>

#include "frame_parser_run.hpp"
#include "wsgw/message_deflate.hpp"
#include "wsgw/message_inflate.hpp"
#include "wsgw/utf8.hpp"

namespace {

using namespace wsgw::fuzz;

constexpr std::size_t kLimit = 4096;

// A masked client frame with a zero key: the payload goes on the wire as it is.
void append_frame(std::string& wire, std::uint8_t byte0, std::string_view payload) {
    wire += static_cast<char>(byte0);
    if (payload.size() <= 125) {
        wire += static_cast<char>(0x80 | payload.size());
    } else {
        wire += static_cast<char>(0x80 | 126);
        wire += static_cast<char>(payload.size() >> 8);
        wire += static_cast<char>(payload.size() & 0xFF);
    }
    wire.append(4, '\0');
    wire.append(payload);
}

std::string as_frames(std::string_view payload, bool binary, std::size_t frame_size) {
    std::string wire;
    std::size_t at = 0;
    do {
        const bool first = at == 0;
        const bool last = at + frame_size >= payload.size();
        const std::uint8_t byte0 = static_cast<std::uint8_t>((last ? 0x80 : 0) | (first ? (binary ? 0x42 : 0x41) : 0));
        append_frame(wire, byte0, payload.substr(at, frame_size));
        at += frame_size;
    } while (at < payload.size());
    return wire;
}

void check_compressor_round_trip(const std::vector<std::string>& events) {
    for (const std::string& e : events) {
        if (e.empty() || (e[0] != 't' && e[0] != 'b')) continue;
        const std::string_view message = std::string_view(e).substr(1);
        auto compressed = wsgw::ws::deflate_message(message);
        check(compressed.has_value());
        std::string back;
        check(wsgw::ws::inflate_message(*compressed, message.size(), back) == wsgw::ws::InflateStatus::ok);
        check(back == message);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::uint8_t mode = data[1];
    const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
    const bool payload_mode = (mode & 1) != 0;
    const bool binary = (mode & 2) != 0;
    const std::string stream = payload_mode ? as_frames(rest, binary, (mode >> 2) + 1u) : std::string(rest);

    const Outcome split = run(stream, cuts_for(data[0], stream.size()), kLimit, true);
    const Outcome whole = run(stream, {}, kLimit, true);
    check(split == whole);
    check_compressor_round_trip(whole.events);

    if (payload_mode && rest.size() <= kLimit) {
        std::string inflated;
        const auto status = wsgw::ws::inflate_message(rest, kLimit, inflated);
        const bool deliverable =
            status == wsgw::ws::InflateStatus::ok && (binary || wsgw::is_valid_utf8(inflated));
        check(whole.ok == deliverable);
        if (deliverable) check(whole.events == std::vector<std::string>{(binary ? 'b' : 't') + inflated});
        if (status == wsgw::ws::InflateStatus::too_big) check(whole.code == 1009);
        if (status == wsgw::ws::InflateStatus::corrupt) check(whole.code == 1002);
    }
    return 0;
}
