#pragma once
// Compressing one server message for permessage-deflate (RFC 7692 section 7.2.1), once: the
// negotiation promises every socket server_no_context_takeover, so the compressed payload
// depends on the message alone and one frame of it (ws::make_compressed_frame) serves every
// socket that agreed to the extension.
#include <optional>
#include <string>
#include <string_view>

namespace wsgw::ws {

// The LZ77 window the compressor uses, as log2 of its bytes: 32 KiB for every message. An offer
// of server_max_window_bits below 15 is declined: a message compressed for one socket's smaller
// window could not be the frame every other socket gets.
inline constexpr int kDeflateWindowBits = 15;

// `payload` compressed on its own, as section 7.2.1 wants it on the wire: a DEFLATE stream
// ended by a sync flush, less the flush's last four bytes (00 00 ff ff). Safe to
// call from several threads at once. Nothing if the compressor cannot be had (out of memory):
// the message then goes out uncompressed, which RFC 7692 allows on any socket. Callers may do
// the same when the result is not smaller than `payload`.
std::optional<std::string> deflate_message(std::string_view payload);

}  // namespace wsgw::ws
