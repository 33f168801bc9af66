#pragma once
// Compressed client messages made the way browsers make them: zlib's raw deflate at its default
// level with a sync flush and the trailing 00 00 ff ff removed (RFC 7692 section 7.2.1), apart
// from the gateway's own compressor (level 1, message_deflate.cpp). Also a bomb: a long run of
// zeros, compressed without ever holding it.
#include <zlib.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wsgw::zlib_frames {

class RawDeflater {
public:
    explicit RawDeflater(int window_bits = 15, int level = Z_DEFAULT_COMPRESSION) {
        if (deflateInit2(&s_, level, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::runtime_error("deflateInit2 failed");
    }
    ~RawDeflater() { deflateEnd(&s_); }
    RawDeflater(const RawDeflater&) = delete;
    RawDeflater& operator=(const RawDeflater&) = delete;

    // Compresses `in` into `out` (appended), with `flush` after it.
    void add(std::string_view in, int flush, std::string& out) {
        s_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        s_.avail_in = static_cast<uInt>(in.size());
        char chunk[16384];
        do {
            s_.next_out = reinterpret_cast<Bytef*>(chunk);
            s_.avail_out = sizeof chunk;
            const int ret = deflate(&s_, flush);
            if (ret != Z_OK && ret != Z_BUF_ERROR && ret != Z_STREAM_END) throw std::runtime_error("deflate failed");
            out.append(chunk, sizeof chunk - s_.avail_out);
        } while (s_.avail_out == 0);
    }

private:
    z_stream s_{};
};

// Removes the 00 00 ff ff a sync flush ends with.
inline std::string strip_flush_marker(std::string s) {
    if (s.size() < 4 || s.compare(s.size() - 4, 4, std::string("\x00\x00\xff\xff", 4)) != 0)
        throw std::runtime_error("no sync flush marker at the end");
    s.resize(s.size() - 4);
    return s;
}

// One message compressed as a browser does (section 7.2.1).
inline std::string sync_flushed(std::string_view message, int window_bits = 15) {
    RawDeflater d(window_bits);
    std::string out;
    d.add(message, Z_SYNC_FLUSH, out);
    return strip_flush_marker(std::move(out));
}

// `zeros` zero bytes compressed as one message, fed to zlib 1 MiB at a time.
inline std::string zeros_bomb(std::size_t zeros) {
    RawDeflater d(15, Z_BEST_COMPRESSION);
    const std::string block(std::size_t{1} << 20, '\0');
    std::string out;
    while (zeros > 0) {
        const std::size_t n = std::min(zeros, block.size());
        d.add(std::string_view(block).substr(0, n), Z_NO_FLUSH, out);
        zeros -= n;
    }
    d.add({}, Z_SYNC_FLUSH, out);
    return strip_flush_marker(std::move(out));
}

}  // namespace wsgw::zlib_frames
