#pragma once
// Negotiating permessage-deflate (RFC 7692) from a request's Sec-WebSocket-Extensions value.
//
// The gateway compresses each server message once and sends the same bytes to every socket that
// agreed to the extension, so no socket may expect the server to keep an LZ77 window between
// messages: the response always carries server_no_context_takeover. It always carries
// client_no_context_takeover too (section 7.1.1.1 lets the server add it), so every client
// message inflates on its own and a socket keeps no inflater between messages.
//
// Offers are tried in the client's order and the first acceptable permessage-deflate offer wins;
// other extensions are ignored. An offer this server cannot honour, or one that breaks the
// grammar or section 7.1's parameter rules, is declined, never a reason to fail the handshake
// (section 5): the connection then runs uncompressed.
#include <optional>
#include <string>
#include <string_view>

namespace wsgw::ws {

struct PermessageDeflateAgreement {
    // The Sec-WebSocket-Extensions value of the 101 response, exactly, e.g.
    // "permessage-deflate; server_no_context_takeover; client_no_context_takeover".
    std::string response;
};

// `offers`: the request's Sec-WebSocket-Extensions field lines joined with ", " (empty when the
// request had none). Nothing when no offer of permessage-deflate is acceptable: then the
// response carries no Sec-WebSocket-Extensions field and no frame may set RSV1.
//
// Parameters (names compared without regard to case, values as RFC 7692's ABNF: 8 to 15, no
// leading zero, a token or a quoted-string holding one):
//   server_no_context_takeover, client_no_context_takeover   no value
//   server_max_window_bits=N   accepted when the compressor's window fits in N bits
//                              (kDeflateWindowBits, message_deflate.hpp); echoed in the response
//   client_max_window_bits[=N] nothing to answer: the inflater takes any window
std::optional<PermessageDeflateAgreement> negotiate_permessage_deflate(std::string_view offers);

}  // namespace wsgw::ws
