#pragma once
// Every WebSocket close code the gateway sends, in one place (RFC 6455 section 7.4; 4000-4999
// are application codes). The README's client table lists the same codes.
#include <cstdint>

namespace wsgw::close_code {

inline constexpr std::uint16_t normal = 1000;            // client or server closed cleanly
inline constexpr std::uint16_t going_away = 1001;        // the gateway is shutting down
inline constexpr std::uint16_t protocol_error = 1002;    // the client broke RFC 6455 (ws::FrameParser)
inline constexpr std::uint16_t unsupported_data = 1003;  // the client sent a binary frame
inline constexpr std::uint16_t invalid_payload = 1007;   // the client sent text that is not UTF-8
inline constexpr std::uint16_t policy_violation = 1008;  // the client sent frames faster than allowed
inline constexpr std::uint16_t too_big = 1009;           // a client message over max_inbound_frame_bytes (inflated too)
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t token_expired = 4001;     // the token's exp passed; reconnect with a fresh one
inline constexpr std::uint16_t revoked = 4003;           // the backend disconnected the user or revoked the token
inline constexpr std::uint16_t slow_consumer = 4008;     // the socket's send queue overflowed
inline constexpr std::uint16_t no_status = 1005;         // never sent: a close frame without a code
inline constexpr std::uint16_t abnormal = 1006;          // never sent: logged when no close frame was exchanged

}  // namespace wsgw::close_code
