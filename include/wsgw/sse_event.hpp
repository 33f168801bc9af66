#pragma once
// Server-Sent Events (WHATWG HTML, "Server-sent events"): how a message the gateway built once
// as a WebSocket frame goes out on an event stream, without copying it:
//
//   id: <the message id>          (absent for frames without one: resync, close)
//   event: <the message type>
//   data: <the same JSON text a WebSocket client receives>
//   <empty line>
//
// The JSON never holds a raw line break (message validation turns the publisher's whitespace
// line breaks into spaces), so one data line carries it whole.
#include <array>
#include <cstddef>
#include <string_view>

namespace wsgw::sse {

// The response head of an event stream: no caching, no proxy buffering (nginx honours
// X-Accel-Buffering), the body ends when the connection does; then the reconnect delay hint.
inline constexpr std::string_view kResponseHead =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream; charset=utf-8\r\n"
    "Cache-Control: no-store\r\n"
    "X-Accel-Buffering: no\r\n"
    "Connection: close\r\n";
inline constexpr std::string_view kRetryHint = "retry: 1000\n\n";
// A comment line: keeps proxies and the browser from timing an idle stream out.
inline constexpr std::string_view kKeepAlive = ": keep-alive\n\n";

// The pieces of one event, each a view into the frame or a constant; empty pieces are skipped.
struct EventPieces {
    std::array<std::string_view, 9> parts{};
    std::size_t count = 0;
};

// The event for a server WebSocket text frame whose JSON starts {"type":"T"[,"id":"I"]...
// (every frame the gateway queues does). `frame` must outlive the views.
EventPieces render_event(std::string_view frame) noexcept;

}  // namespace wsgw::sse
