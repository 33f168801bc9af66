#pragma once
// Inflating one client message compressed with permessage-deflate (RFC 7692 section 7.2.2),
// with its output bounded: a few KiB on the wire can inflate to gigabytes, so the bound is
// enforced while inflating, never after.
#include <cstddef>
#include <string>
#include <string_view>

namespace wsgw::ws {

enum class InflateStatus {
    ok,
    too_big,  // the message inflates to more than the bound; inflating stopped at the bound
    corrupt,  // not a DEFLATE stream, or one cut short inside a block
    unavailable,  // zlib could not allocate its state: the server's trouble, not the client's
};

// Inflates `compressed` (a whole message's payload, fragments joined) with 00 00 ff ff appended,
// into `out` (replaced). The message stands alone: client_no_context_takeover is always agreed,
// so a back-reference into an earlier message is corrupt. `out` never holds, or allocates, more
// than `max_bytes`. Streams that end with a BFINAL block are accepted (section 7.2.3.4), and so
// are the sync-flushed ones browsers send. Safe to call from several threads at once; each
// thread keeps one inflater (about 40 KiB), reset for every message, so callers hold no
// inflater state between messages.
InflateStatus inflate_message(std::string_view compressed, std::size_t max_bytes, std::string& out);

}  // namespace wsgw::ws
