#pragma once
// The WebSocket wire format (RFC 6455), without sockets: the opening handshake's accept key,
// server frames (unmasked, FIN set, never fragmented) built once and shared by every socket
// they go to, and an incremental parser of client frames that enforces the protocol and the
// gateway's size limit. No extensions are negotiated, so every RSV bit must be zero.
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
// A close frame with `code` and `reason`; the reason is cut to fit 123 bytes without splitting
// a UTF-8 sequence.
std::string make_close_frame(std::uint16_t code, std::string_view reason);

// --- Client frames ------------------------------------------------------------------------

// Receives what the parser finds. The views are valid only during the call.
class FrameSink {
public:
    virtual ~FrameSink() = default;
    // A complete message (reassembled from fragments if need be); text is valid UTF-8.
    virtual void on_message(Opcode type, std::string_view data) = 0;
    virtual void on_ping(std::string_view payload) = 0;
    virtual void on_pong(std::string_view payload) = 0;
    // The peer's close frame; `code` is 1005 (no status) for an empty payload. After a close
    // the parser consumes nothing more.
    virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
};

// Why parsing stopped, and the close code the server answers with.
struct ParseError {
    std::uint16_t code = 0;  // 1002 protocol error, 1007 invalid UTF-8, 1009 message too big
    const char* reason = "";
};

class FrameParser {
public:
    // `max_message_bytes` bounds one message's payload (after reassembly of fragments).
    explicit FrameParser(std::size_t max_message_bytes) noexcept : max_message_(max_message_bytes) {}

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
    bool deliver(bool fin, Opcode op, std::string_view payload, FrameSink& sink);
    bool fail(std::uint16_t code, const char* reason) noexcept;

    std::size_t max_message_;
    // Allocated only while a partial frame or message is held: an idle connection's parser is
    // a few words.
    std::unique_ptr<Held> held_;
    Opcode message_type_ = Opcode::continuation;  // continuation: no fragmented message open
    ParseError error_;
    bool failed_ = false;
    bool closed_ = false;
};

}  // namespace wsgw::ws
