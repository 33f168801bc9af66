#pragma once
// The permessage-deflate form of a server frame, made at most once, on first need, by whichever
// I/O thread first writes the message to a socket that agreed to the extension, and then shared
// by every such socket on every thread. A message whose sockets agreed to nothing is never
// compressed at all.
#include <cstddef>
#include <mutex>
#include <string>

namespace wsgw {

class CompressedFrame {
public:
    CompressedFrame() = default;
    // A copy starts without a compressed form: items are copied only before they are shared.
    CompressedFrame(const CompressedFrame&) noexcept {}
    CompressedFrame& operator=(const CompressedFrame&) noexcept { return *this; }

    // What a socket that agreed to permessage-deflate is sent for `frame`: the frame compressed
    // (RSV1 set) when it is a text frame of at least `min_bytes` of payload and compressing makes
    // it smaller; otherwise `frame` itself (RFC 7692 lets any message go uncompressed). Safe to
    // call from several threads at once; compresses at most once. `min_bytes` must be the same
    // on every call (it is the process's setting).
    const std::string& for_deflate(const std::string& frame, std::size_t min_bytes) const;

private:
    mutable std::once_flag once_;
    mutable std::string compressed_;  // empty: the frame itself serves
};

}  // namespace wsgw
