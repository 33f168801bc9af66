#pragma once
// Who is connecting, as established by the HTTP session before a WebSocket or SSE session opens.
#include <cstdint>
#include <string>

#include "wsgw/auth.hpp"

namespace wsgw {

struct Peer {
    Identity identity;  // its token_id is left empty: `token` stands for it
    std::uint64_t token = 0;  // wsgw::token_fingerprint of the jti
    std::string project_filter;
    std::string address;  // client address (after trusted proxies): the per-address limit key
    std::string remote;   // TCP peer "ip:port", for logs
    std::string last_id;  // resume after this message (empty: a fresh connection); freed once used
};

}  // namespace wsgw
