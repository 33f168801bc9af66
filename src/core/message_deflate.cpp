// Codec: zlib, raw deflate at level 1 (memLevel 8), one stream per thread reset for every
// message, ended with a sync flush. Measured against libdeflate on the gateway's own messages
// (BM_DeflateZlib, BM_DeflateLibdeflate in bench/core_benchmark.cpp; the raw numbers are in
// bench/results/deflate-codecs-20261206.txt). For the notification, phased progress, completed
// summary and 1.4 KiB notification:
//   zlib 1         4.3  5.3  5.3  5.6 us   127 170 184 224 bytes
//   zlib 6         4.4  5.6  5.7  7.6 us   127 170 178 220
//   libdeflate 1   5.1  5.9  5.4  6.4 us   127 171 184 222
//   libdeflate 6   6.7  7.0  7.3  9.9 us   124 169 183 216
// At these sizes setup dominates (libdeflate clears larger match-finder tables per call), so
// libdeflate's speed on big buffers does not show, and no level saves more than 8 bytes (4%) on
// any of them. zlib 1 is the fastest on three of four and ties the sizes of the two commonest
// (notifications, progress); a message mostly goes to one user's few sockets, so time per
// message weighs more than a few bytes per delivery. zlib also inflates the clients' messages
// (message_inflate.cpp), so it is the one compression library the gateway links, and a sync
// flush is the form every browser's inflater is tested against. Keeping the deflater per thread
// saves 0.2-0.7 us a message over a fresh one (BM_DeflateZlibInitPerMessage).
#include "wsgw/message_deflate.hpp"

#include <zlib.h>

#include <limits>

namespace wsgw::ws {
namespace {

constexpr int kLevel = 1;
constexpr int kMemLevel = 8;  // zlib's default; 1 was no faster here and compressed worse
// The flush marker a sync flush ends with, which section 7.2.1 removes.
constexpr char kFlushMarker[4] = {0x00, 0x00, static_cast<char>(0xff), static_cast<char>(0xff)};

// One raw deflater per thread, reset for every message (no context takeover): allocating one
// per message (about 260 KiB) costs more than compressing a small message.
class ThreadDeflater {
public:
    ThreadDeflater() noexcept { init(); }
    ~ThreadDeflater() {
        if (ready_) deflateEnd(&stream_);
    }
    ThreadDeflater(const ThreadDeflater&) = delete;
    ThreadDeflater& operator=(const ThreadDeflater&) = delete;

    // Ready for a new message, or null if zlib could not allocate its state.
    z_stream* fresh() noexcept {
        if (!ready_) init();
        if (!ready_ || deflateReset(&stream_) != Z_OK) return nullptr;
        return &stream_;
    }

private:
    void init() noexcept {
        ready_ = deflateInit2(&stream_, kLevel, Z_DEFLATED, -kDeflateWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) == Z_OK;
    }
    z_stream stream_{};
    bool ready_ = false;
};

}  // namespace

std::optional<std::string> deflate_message(std::string_view payload) {
    if (payload.size() > std::numeric_limits<uInt>::max()) return std::nullopt;  // far past any message limit
    thread_local ThreadDeflater deflater;
    z_stream* s = deflater.fresh();
    if (!s) return std::nullopt;
    // deflateBound does not count the sync flush's empty stored block (5 bytes); a few more
    // spare the loop below a second round in practice.
    std::string out(deflateBound(s, payload.size()) + 16, '\0');
    std::size_t produced = 0;
    s->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
    s->avail_in = static_cast<uInt>(payload.size());
    for (;;) {
        s->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
        s->avail_out = static_cast<uInt>(out.size() - produced);
        const int ret = deflate(s, Z_SYNC_FLUSH);
        produced = out.size() - s->avail_out;
        if (ret != Z_OK && ret != Z_BUF_ERROR) return std::nullopt;
        // All output is out once room is left over (zlib's rule for a flush).
        if (s->avail_out > 0) break;
        out.resize(out.size() * 2);
    }
    // Section 7.2.1: the stream now ends with the sync flush's empty stored block, whose last
    // four bytes (00 00 ff ff) are removed.
    if (produced < 4 || std::string_view(out.data() + produced - 4, 4) != std::string_view(kFlushMarker, 4))
        return std::nullopt;  // not reached: a sync flush always ends so
    out.resize(produced - 4);
    return out;
}

}  // namespace wsgw::ws
