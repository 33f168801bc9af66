#pragma once
// The WebSocket wire format (RFC 6455), without sockets: the opening handshake's accept key,
// server frames (unmasked, FIN set, never fragmented) built once and shared by every socket
// they go to, and an incremental parser of client frames that enforces the protocol and the
// gateway's size limit. The one extension is permessage-deflate (RFC 7692), which gives RSV1 a
// meaning when the handshake agreed to it; every other RSV bit must be zero.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace wsgw::ws {

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Largest server frame header: 2 bytes + 8-byte extended length.
inline constexpr std::size_t kMaxHeaderBytes = 10;
// Control frames carry at most 125 bytes; a close payload is a 2-byte code + up to 123 bytes.
inline constexpr std::size_t kMaxControlPayload = 125;
// Largest client frame header: 2 bytes + 8-byte extended length + 4-byte masking key.
inline constexpr std::size_t kMaxClientHeaderBytes = 14;

// --- Opening handshake --------------------------------------------------------------------

// A Sec-WebSocket-Key must be the base64 encoding of exactly 16 bytes (24 characters, "==").
bool is_valid_client_key(std::string_view key) noexcept;
// Sec-WebSocket-Accept: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string accept_key(std::string_view client_key);

// --- Server frames ------------------------------------------------------------------------

// Writes the header of a final, unmasked frame carrying `payload_size` bytes into `out` and
// returns its length (2, 4 or 10).
std::size_t encode_header(Opcode op, std::uint64_t payload_size, unsigned char* out) noexcept;
// A whole final, unmasked frame: header followed by the payload.
std::string make_frame(Opcode op, std::string_view payload);
// The same with RSV1 set (0xC1 for text): a message compressed by deflate_message()
// (message_deflate.hpp), for sockets that agreed to permessage-deflate. RFC 7692 section 6.1:
// RSV1 goes on the first frame of a message, and server frames are never fragmented.
std::string make_compressed_frame(Opcode op, std::string_view compressed_payload);
// The payload of a server frame (unmasked: its header is 2, 4 or 10 bytes by its length byte);
// empty for fewer bytes than a header.
std::string_view frame_payload(std::string_view frame) noexcept;
// A close frame with `code` and `reason`; the reason is cut to fit 123 bytes without splitting
// a UTF-8 sequence.
std::string make_close_frame(std::uint16_t code, std::string_view reason);

// --- Client frames ------------------------------------------------------------------------

// Receives what the parser finds. The views are valid only during the call.
class FrameSink {
public:
    virtual ~FrameSink() = default;
    // A complete message (reassembled from fragments and inflated if need be); text is valid
    // UTF-8.
    virtual void on_message(Opcode type, std::string_view data) = 0;
    virtual void on_ping(std::string_view payload) = 0;
    virtual void on_pong(std::string_view payload) = 0;
    // The peer's close frame; `code` is 1005 (no status) for an empty payload. After a close
    // the parser consumes nothing more.
    virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
};

// Why parsing stopped, and the close code the server answers with.
struct ParseError {
    // 1002 protocol error (corrupt compressed data included), 1007 invalid UTF-8, 1009 message
    // too big (compressed or inflated), 1011 no memory to inflate
    std::uint16_t code = 0;
    const char* reason = "";
};

class FrameParser {
public:
    // `max_message_bytes` bounds one message's payload (after reassembly of fragments).
    explicit FrameParser(std::size_t max_message_bytes) noexcept : max_message_(max_message_bytes) {}

    // The handshake agreed to permessage-deflate (negotiate_permessage_deflate): RSV1 on the
    // first frame of a text or binary message now marks it compressed, and the whole message is
    // inflated (message_inflate.hpp) before its UTF-8 check and on_message. Its inflated size is
    // bounded by the same max_message_bytes, and no inflater state is kept between messages.
    // Call before the first feed().
    void enable_permessage_deflate() noexcept { deflate_ = true; }
    bool permessage_deflate() const noexcept { return deflate_; }

    // Parses `size` bytes received from the client, calling `sink` for every complete message
    // and control frame. Unmasks in place, so `data` is modified. Bytes of an incomplete frame
    // are kept until the next call. Returns false on a protocol violation (see error()); the
    // parser is then spent and ignores further input, as it does after a close frame.
    bool feed(char* data, std::size_t size, FrameSink& sink);

    const ParseError& error() const noexcept { return error_; }
    bool closed() const noexcept { return closed_; }
    // Bytes held between calls (a partial frame); zero for an idle connection.
    std::size_t buffered() const noexcept { return held_ ? held_->pending.size() + held_->message.size() : 0; }
    // What buffered() can reach. The open message and a partial data frame share the message
    // limit, but RFC 6455 section 5.4 lets a control frame arrive between two fragments, so a
    // message at the limit may be joined by a partial control frame (header and 125 bytes).
    static constexpr std::size_t max_buffered(std::size_t max_message_bytes) noexcept {
        return max_message_bytes + kMaxClientHeaderBytes + kMaxControlPayload;
    }

private:
    struct Held {
        std::string pending;  // an incomplete frame's bytes carried to the next feed()
        std::string message;  // fragments of a message that is not complete yet
    };
    Held& held() {
        if (!held_) held_ = std::make_unique<Held>();
        return *held_;
    }
    std::size_t message_size() const noexcept { return held_ ? held_->message.size() : 0; }

    bool feed_frames(char* data, std::size_t size, FrameSink& sink);
    // Completes the frame held in held_->pending from `data`, advancing `pos` past the bytes taken.
    bool finish_pending(const char* data, std::size_t size, std::size_t& pos, FrameSink& sink);
    // Acts on one whole, unmasked frame: a control frame, a message, or a fragment of one.
    // `compressed`: RSV1 was set (only ever on the first frame of a data message).
    bool deliver(bool fin, Opcode op, bool compressed, std::string_view payload, FrameSink& sink);
    // A whole message: inflated if compressed, checked, handed to the sink.
    bool deliver_message(Opcode type, bool compressed, std::string_view data, FrameSink& sink);
    bool fail(std::uint16_t code, const char* reason) noexcept;

    std::size_t max_message_;
    // Allocated only while a partial frame or message is held: an idle connection's parser is
    // a few words.
    std::unique_ptr<Held> held_;
    Opcode message_type_ = Opcode::continuation;  // continuation: no fragmented message open
    ParseError error_;
    bool failed_ = false;
    bool closed_ = false;
    // In the padding after the flags above: sizeof(FrameParser) is what it was without them.
    bool deflate_ = false;             // permessage-deflate agreed
    bool message_compressed_ = false;  // the open fragmented message had RSV1 on its first frame
};

}  // namespace wsgw::ws
