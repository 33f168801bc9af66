#pragma once
// Reading hiredis replies: the text of a string, status or error reply, and whether a reply
// (or an array's element) is text at all.
#include <hiredis/hiredis.h>

#include <cstddef>
#include <string_view>

namespace wsgw {

// The reply's bytes; for string, status, error (and verbatim) replies only.
inline std::string_view text(const redisReply* r) { return {r->str, static_cast<std::size_t>(r->len)}; }

// A bulk string or a status: what Redis sends for names, addresses and Pub/Sub kinds.
inline bool is_string(const redisReply* r) {
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

}  // namespace wsgw
