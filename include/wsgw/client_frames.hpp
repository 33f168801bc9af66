#pragma once
// Frames clients send, and the server's answers to them.
#include <chrono>
#include <string>
#include <string_view>

namespace wsgw {

enum class ClientFrame { ping, ignored };

// {"type":"ping"} (any other members ignored) is a ping; every other text frame is ignored.
ClientFrame classify_client_text(std::string_view text);

// {"type":"pong","timestamp":"2025-12-07T10:00:00Z"}
std::string make_pong(std::chrono::system_clock::time_point now);

// {"type":"resync","payload":{"reason":"unknown_last_id"},"timestamp":"..."}: the first frame to a
// client that asked to resume from an id this instance does not hold; what follows is what a
// fresh connection gets. It carries no id: it is no message to resume from.
std::string make_resync(std::chrono::system_clock::time_point now);

}  // namespace wsgw
