// zlib's streaming inflate: the bound is enforced as the output grows, never by sizing a buffer
// for the worst case up front, and browsers end each message with a sync flush rather than a
// final block, which a one-shot decoder such as libdeflate's requires.
#include "wsgw/message_inflate.hpp"

#include <zlib.h>

#include <algorithm>

namespace wsgw::ws {
namespace {

// Section 7.2.2: the receiver appends the four bytes the sender removed.
constexpr unsigned char kTail[4] = {0x00, 0x00, 0xff, 0xff};

// One raw inflater per thread (its state and a 32 KiB window), reset for every message: a
// connection holds none, and a message costs no allocation here.
class ThreadInflater {
public:
    ThreadInflater() noexcept { ready_ = inflateInit2(&stream_, -15) == Z_OK; }
    ~ThreadInflater() {
        if (ready_) inflateEnd(&stream_);
    }
    ThreadInflater(const ThreadInflater&) = delete;
    ThreadInflater& operator=(const ThreadInflater&) = delete;

    // Ready for a new message, or null if zlib could not allocate its state.
    z_stream* fresh() noexcept {
        if (!ready_) ready_ = inflateInit2(&stream_, -15) == Z_OK;
        if (!ready_ || inflateReset(&stream_) != Z_OK) return nullptr;
        return &stream_;
    }

private:
    z_stream stream_{};
    bool ready_ = false;
};

// A bigger buffer for `out`, holding its first `used` bytes. Built afresh with an exact
// reserve, so its capacity is what is asked for, never a growth policy's multiple of it.
void grow(std::string& out, std::size_t used, std::size_t capacity) {
    std::string bigger;
    bigger.reserve(capacity);
    bigger.append(out, 0, used);
    bigger.resize(capacity);
    out.swap(bigger);
}

}  // namespace

InflateStatus inflate_message(std::string_view compressed, std::size_t max_bytes, std::string& out) {
    out.clear();
    // No bytes at all is no DEFLATE stream (the tail alone stops inside a stored block's
    // header), but nothing else can be meant by it than the empty message, and other
    // implementations take it so.
    if (compressed.empty()) return InflateStatus::ok;
    thread_local ThreadInflater inflater;
    z_stream* s = inflater.fresh();
    if (!s) return InflateStatus::unavailable;

    std::string buf;
    std::size_t produced = 0;
    unsigned char probe = 0;
    // zlib counts in uInt; a larger message is fed in pieces of at most this.
    constexpr std::size_t kMaxChunk = 1u << 30;
    std::string_view input = compressed;
    bool tail_fed = false;
    // Whether the last call that made progress stopped between blocks (zlib's data_type bit 7).
    // A call that makes none must not overwrite it: inflate() turns TYPE into TYPEDO on entry,
    // so a call with no input left clears the bit although the stream has not moved. Found by
    // fuzz_ws_deflate: a message that inflates to exactly the bound, with the tail taken in the
    // call that filled the output, was refused as corrupt after the probe call.
    bool between_blocks = false;
    s->avail_in = 0;
    for (;;) {
        if (s->avail_in == 0) {
            if (!input.empty()) {
                const std::size_t n = std::min(input.size(), kMaxChunk);
                s->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
                s->avail_in = static_cast<uInt>(n);
                input.remove_prefix(n);
            } else if (!tail_fed) {
                s->next_in = const_cast<Bytef*>(kTail);
                s->avail_in = sizeof kTail;
                tail_fed = true;
            }
        }
        if (produced == buf.size() && buf.size() < max_bytes) {
            // Start near what JSON usually inflates to, then double, never past the bound.
            const std::size_t first = compressed.size() * 4 + 256;
            grow(buf, produced, std::min(max_bytes, buf.empty() ? first : buf.size() * 2));
        }
        // At the bound, one more byte of output would be one too many: it goes to a probe.
        const bool at_bound = produced == max_bytes;
        const std::size_t room = at_bound ? 1 : std::min(buf.size() - produced, kMaxChunk);
        s->next_out = at_bound ? &probe : reinterpret_cast<Bytef*>(buf.data() + produced);
        s->avail_out = static_cast<uInt>(room);
        const uInt in_before = s->avail_in;

        const int ret = inflate(s, Z_SYNC_FLUSH);
        const std::size_t wrote = room - s->avail_out;
        if (at_bound && wrote > 0) return InflateStatus::too_big;
        produced += wrote;
        if (wrote > 0 || s->avail_in != in_before) between_blocks = (s->data_type & 128) != 0;
        if (ret == Z_STREAM_END) break;  // a BFINAL block: what follows it is padding
        if (ret == Z_MEM_ERROR) return InflateStatus::unavailable;
        if (ret != Z_OK && ret != Z_BUF_ERROR) return InflateStatus::corrupt;
        if (s->avail_out == 0) continue;  // out of room: grow, or probe at the bound
        if (s->avail_in > 0) {
            // Room and input left, yet no progress: not reached with zlib, but never spin.
            if (s->avail_in == in_before && wrote == 0) return InflateStatus::corrupt;
            continue;
        }
        if (!input.empty() || !tail_fed) continue;
        // Every byte taken and room to spare: a whole message stops at a block boundary.
        // Anything else was cut short inside a block.
        if (!between_blocks) return InflateStatus::corrupt;
        break;
    }
    buf.resize(produced);
    out.swap(buf);
    return InflateStatus::ok;
}

}  // namespace wsgw::ws
