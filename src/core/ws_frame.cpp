#include "wsgw/ws_frame.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <utility>

#include "wsgw/close_codes.hpp"
#include "wsgw/message_inflate.hpp"
#include "wsgw/utf8.hpp"

namespace wsgw::ws {
namespace {

// RFC 6455 section 1.3: the GUID every server appends to the client's key.
constexpr std::string_view kHandshakeGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::string_view kBase64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint16_t kProtocolError = close_code::protocol_error;
constexpr std::uint16_t kNoStatus = close_code::no_status;
constexpr std::uint16_t kInvalidPayload = close_code::invalid_payload;
constexpr std::uint16_t kTooBig = close_code::too_big;
constexpr std::uint16_t kInternalError = close_code::internal_error;

// Byte 0 of a frame: FIN, RSV1 to RSV3, then the opcode.
constexpr unsigned char kRsv1 = 0x40;
constexpr unsigned char kRsv2And3 = 0x30;

std::string base64(const unsigned char* data, std::size_t size) {
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        out += kBase64Alphabet[(v >> 18) & 63];
        out += kBase64Alphabet[(v >> 12) & 63];
        out += kBase64Alphabet[(v >> 6) & 63];
        out += kBase64Alphabet[v & 63];
    }
    if (std::size_t rest = size - i; rest > 0) {
        std::uint32_t v = std::uint32_t{data[i]} << 16;
        if (rest == 2) v |= std::uint32_t{data[i + 1]} << 8;
        out += kBase64Alphabet[(v >> 18) & 63];
        out += kBase64Alphabet[(v >> 12) & 63];
        out += rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

bool is_base64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Codes a peer may send (RFC 6455 section 7.4): 1004-1006 and 1015 are reserved or meant for
// logs only; 1012-1014 were registered with IANA after the RFC and browsers send them.
bool is_valid_close_code(std::uint16_t code) noexcept {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

// A client frame header (RFC 6455 section 5.2): byte 0 holds FIN, three reserved bits and the
// opcode; byte 1 the MASK bit and a 7-bit length, where 126 and 127 announce a 16- or 64-bit
// big-endian length in the next 2 or 8 bytes; then the 4-byte masking key.
struct FrameHeader {
    bool fin = false;
    bool compressed = false;  // RSV1, with permessage-deflate agreed
    Opcode op = Opcode::continuation;
    std::size_t length = 2;  // header bytes; exact once byte 1 is known (2 + 0/2/8 + 4)
    std::uint64_t payload = 0;
    std::array<unsigned char, 4> mask{};
};

// What the header checks need to know about a fragmented message in progress.
struct MessageState {
    bool open = false;
    std::size_t buffered = 0;
    std::size_t max = 0;
    bool deflate = false;  // permessage-deflate agreed: RSV1 may mark a compressed message
};

enum class HeaderScan { complete, incomplete, invalid };

// Reads as much of a client frame header as `n` bytes hold. Each check runs as soon as the bytes
// it needs are there, so a bad frame is refused without waiting for (or buffering) the rest of
// it, and the payload size is judged from the declared length before any payload is stored.
HeaderScan read_header(const unsigned char* p, std::size_t n, const MessageState& msg, FrameHeader& h,
                       ParseError& err) noexcept {
    auto reject = [&err](std::uint16_t code, const char* reason) {
        err = {code, reason};
        return HeaderScan::invalid;
    };
    if (n < 1) return HeaderScan::incomplete;
    // Section 5.2: an RSV bit means something only when an extension gave it a meaning, and
    // permessage-deflate is the one extension, giving RSV1 one.
    if ((p[0] & kRsv2And3) || ((p[0] & kRsv1) && !msg.deflate)) return reject(kProtocolError, "reserved bit set");
    const unsigned op = p[0] & 0x0F;
    if ((op > 2 && op < 8) || op > 10) return reject(kProtocolError, "unknown opcode");
    h.fin = (p[0] & 0x80) != 0;
    h.op = static_cast<Opcode>(op);
    h.compressed = (p[0] & kRsv1) != 0;
    // RFC 7692 section 6.1: RSV1 marks the first frame of a compressed message; a control
    // frame is never compressed and a continuation frame inherits its message's bit.
    if (h.compressed && h.op != Opcode::text && h.op != Opcode::binary)
        return reject(kProtocolError, "RSV1 on a control or continuation frame");
    const bool control = (op & 0x08) != 0;
    if (control && !h.fin) return reject(kProtocolError, "fragmented control frame");
    if (h.op == Opcode::continuation && !msg.open) return reject(kProtocolError, "continuation without a message");
    if ((h.op == Opcode::text || h.op == Opcode::binary) && msg.open)
        return reject(kProtocolError, "new message inside a fragmented one");
    if (n < 2) return HeaderScan::incomplete;

    // Section 5.1: a server must close on an unmasked client frame.
    if (!(p[1] & 0x80)) return reject(kProtocolError, "unmasked client frame");
    const unsigned len7 = p[1] & 0x7F;
    if (control && len7 > kMaxControlPayload) return reject(kProtocolError, "control frame too long");
    const std::size_t extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    h.length = 2 + extended + 4;
    if (n < 2 + extended) return HeaderScan::incomplete;

    // Non-minimal length encodings are accepted: the RFC forbids sending them, and a lenient
    // receiver loses nothing by decoding them.
    h.payload = len7;
    if (extended > 0) {
        h.payload = 0;
        for (std::size_t i = 0; i < extended; ++i) h.payload = (h.payload << 8) | p[2 + i];
    }
    if (h.payload >> 63) return reject(kProtocolError, "length with the top bit set");
    if (!control) {
        // Fragments count towards their message; control frames are bounded by 125 bytes instead.
        const std::uint64_t total = h.payload + (h.op == Opcode::continuation ? msg.buffered : 0);
        if (total > msg.max) return reject(kTooBig, "message too big");
    }
    if (n < h.length) return HeaderScan::incomplete;
    std::copy_n(p + 2 + extended, 4, h.mask.begin());
    return HeaderScan::complete;
}

void unmask(char* p, std::size_t n, const std::array<unsigned char, 4>& key) noexcept {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>(static_cast<unsigned char>(p[i]) ^ key[i & 3]);
}

const unsigned char* bytes(const char* p) noexcept { return reinterpret_cast<const unsigned char*>(p); }

}  // namespace

bool is_valid_client_key(std::string_view key) noexcept {
    // 16 bytes are 5 whole groups of 3 plus 1 byte: 22 characters, then "==".
    if (key.size() != 24 || key.substr(22) != "==") return false;
    return std::all_of(key.begin(), key.begin() + 22, is_base64_char);
}

std::string accept_key(std::string_view client_key) {
    std::string input;
    input.reserve(client_key.size() + kHandshakeGuid.size());
    input.append(client_key).append(kHandshakeGuid);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    // Fails only if the crypto library cannot provide SHA-1; an empty key then fails the
    // client's check of the handshake, which is the right outcome.
    if (EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr) != 1) return {};
    return base64(digest, digest_size);
}

std::size_t encode_header(Opcode op, std::uint64_t payload_size, unsigned char* out) noexcept {
    out[0] = static_cast<unsigned char>(0x80 | static_cast<unsigned>(op));
    if (payload_size <= 125) {
        out[1] = static_cast<unsigned char>(payload_size);
        return 2;
    }
    if (payload_size <= 0xFFFF) {
        out[1] = 126;
        out[2] = static_cast<unsigned char>(payload_size >> 8);
        out[3] = static_cast<unsigned char>(payload_size);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<unsigned char>(payload_size >> (56 - 8 * i));
    return 10;
}

std::string make_frame(Opcode op, std::string_view payload) {
    unsigned char header[kMaxHeaderBytes];
    const std::size_t header_size = encode_header(op, payload.size(), header);
    std::string frame;
    frame.reserve(header_size + payload.size());
    frame.append(reinterpret_cast<const char*>(header), header_size);
    frame.append(payload);
    return frame;
}

std::string make_compressed_frame(Opcode op, std::string_view compressed_payload) {
    std::string frame = make_frame(op, compressed_payload);
    frame[0] = static_cast<char>(static_cast<unsigned char>(frame[0]) | kRsv1);
    return frame;
}

std::string_view frame_payload(std::string_view frame) noexcept {
    if (frame.size() < 2) return {};
    const unsigned len7 = static_cast<unsigned char>(frame[1]) & 0x7F;
    const std::size_t header = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
    return frame.size() < header ? std::string_view{} : frame.substr(header);
}

std::string make_close_frame(std::uint16_t code, std::string_view reason) {
    constexpr std::size_t kMaxReason = kMaxControlPayload - 2;
    if (reason.size() > kMaxReason) {
        // Back up while the first byte left out continues a sequence, so the cut falls before
        // that sequence's lead byte.
        std::size_t cut = kMaxReason;
        while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
        reason = reason.substr(0, cut);
    }
    std::string payload;
    payload.reserve(2 + reason.size());
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xFF);
    payload.append(reason);
    return make_frame(Opcode::close, payload);
}

bool FrameParser::feed(char* data, std::size_t size, FrameSink& sink) {
    if (failed_) return false;
    if (closed_) return true;
    bool ok = feed_frames(data, size, sink);
    if (held_ && held_->pending.empty() && held_->message.empty()) held_.reset();
    return ok;
}

bool FrameParser::feed_frames(char* data, std::size_t size, FrameSink& sink) {
    std::size_t pos = 0;
    if (held_ && !held_->pending.empty() && !finish_pending(data, size, pos, sink)) return false;
    // Fast path: a frame wholly inside `data` is unmasked there and handed out without a copy.
    while (pos < size && !closed_) {
        const std::size_t left = size - pos;
        FrameHeader h;
        ParseError err;
        const MessageState msg{message_type_ != Opcode::continuation, message_size(), max_message_, deflate_};
        const auto scan = read_header(bytes(data + pos), left, msg, h, err);
        if (scan == HeaderScan::invalid) return fail(err.code, err.reason);
        if (scan == HeaderScan::incomplete || left - h.length < h.payload) {
            // Only the last frame of a read can be cut short; its declared size passed the
            // limit, and only the bytes that actually arrived are kept.
            held().pending.assign(data + pos, left);
            return true;
        }
        char* payload = data + pos + h.length;
        unmask(payload, h.payload, h.mask);
        pos += h.length + h.payload;
        if (!deliver(h.fin, h.op, h.compressed, {payload, static_cast<std::size_t>(h.payload)}, sink)) return false;
    }
    return true;
}

bool FrameParser::finish_pending(const char* data, std::size_t size, std::size_t& pos, FrameSink& sink) {
    std::string& pending = held_->pending;
    FrameHeader h;
    const MessageState msg{message_type_ != Opcode::continuation, message_size(), max_message_, deflate_};
    for (;;) {
        h = {};
        ParseError err;
        const auto scan = read_header(bytes(pending.data()), pending.size(), msg, h, err);
        if (scan == HeaderScan::invalid) return fail(err.code, err.reason);
        if (scan == HeaderScan::complete) break;
        if (pos == size) return true;
        // Take no more than the header bytes known to be needed, so the checks above run on
        // the header before any payload is held.
        const std::size_t take = std::min(h.length - pending.size(), size - pos);
        pending.append(data + pos, take);
        pos += take;
    }
    // The limit checks bound h.payload by max_message_ (or 125), so this fits in size_t.
    const std::size_t frame_size = h.length + static_cast<std::size_t>(h.payload);
    if (pending.size() < frame_size) {
        const std::size_t take = std::min(frame_size - pending.size(), size - pos);
        pending.append(data + pos, take);
        pos += take;
        if (pending.size() < frame_size) return true;
    }
    // Moved out (not cleared) so an idle connection holds no heap bytes once this frame is
    // handled. The pointer is taken after the swap: a short string's bytes live inside the
    // string object itself and do not move with a swap.
    std::string frame;
    frame.swap(pending);
    char* payload = frame.data() + h.length;
    unmask(payload, h.payload, h.mask);
    return deliver(h.fin, h.op, h.compressed, {payload, static_cast<std::size_t>(h.payload)}, sink);
}

bool FrameParser::deliver(bool fin, Opcode op, bool compressed, std::string_view payload, FrameSink& sink) {
    switch (op) {
    case Opcode::ping:
        sink.on_ping(payload);
        return true;
    case Opcode::pong:
        sink.on_pong(payload);
        return true;
    case Opcode::close: {
        std::uint16_t code = kNoStatus;
        std::string_view reason;
        if (payload.size() == 1) return fail(kProtocolError, "close payload of one byte");
        if (payload.size() >= 2) {
            code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                              static_cast<unsigned char>(payload[1]));
            if (!is_valid_close_code(code)) return fail(kProtocolError, "invalid close code");
            reason = payload.substr(2);
            if (!is_valid_utf8(reason)) return fail(kInvalidPayload, "invalid UTF-8 in close reason");
        }
        closed_ = true;
        if (held_) held_->message.clear();  // a message cut short by the close is dropped
        message_type_ = Opcode::continuation;
        message_compressed_ = false;
        sink.on_close(code, reason);
        return true;
    }
    case Opcode::text:
    case Opcode::binary:
        if (!fin) {
            message_type_ = op;
            message_compressed_ = compressed;
            held().message.assign(payload);
            return true;
        }
        return deliver_message(op, compressed, payload, sink);
    case Opcode::continuation: {
        held().message.append(payload);
        if (!fin) return true;
        // UTF-8 is checked (and compressed data inflated) on the whole message: a character,
        // like a DEFLATE block, may be split between fragments.
        std::string whole;
        whole.swap(held().message);
        const Opcode type = std::exchange(message_type_, Opcode::continuation);
        return deliver_message(type, std::exchange(message_compressed_, false), whole, sink);
    }
    }
    return fail(kProtocolError, "unknown opcode");  // not reached: read_header admits six opcodes
}

bool FrameParser::deliver_message(Opcode type, bool compressed, std::string_view data, FrameSink& sink) {
    std::string inflated;
    if (compressed) {
        // The compressed size was held to max_message_ frame by frame; the inflated size is
        // held to it while inflating, so a bomb stops at the bound.
        switch (inflate_message(data, max_message_, inflated)) {
        case InflateStatus::ok:
            data = inflated;
            break;
        case InflateStatus::too_big:
            return fail(kTooBig, "message too big once inflated");
        case InflateStatus::corrupt:
            // 1002, not 1007: the bytes break the extension's framing (RFC 7692 section 7.2.2),
            // whatever the message's type; 1007 is for content of the wrong kind.
            return fail(kProtocolError, "invalid compressed data");
        case InflateStatus::unavailable:
            return fail(kInternalError, "no memory to inflate");
        }
    }
    if (type == Opcode::text && !is_valid_utf8(data)) return fail(kInvalidPayload, "invalid UTF-8");
    sink.on_message(type, data);
    return true;
}

bool FrameParser::fail(std::uint16_t code, const char* reason) noexcept {
    error_ = {code, reason};
    failed_ = true;
    held_.reset();
    message_type_ = Opcode::continuation;
    message_compressed_ = false;
    return false;
}

}  // namespace wsgw::ws
