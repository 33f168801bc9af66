#pragma once
// An event-stream client over a blocking loopback socket, reading the wire as EventSource does
// (field lines, blank line ends an event, ':' lines are comments). Every wait has a timeout.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace wsgw::test {

class SseClient {
public:
    struct Event {
        std::string id;     // empty when the event had no id line
        std::string event;  // the event line's value
        std::string data;
        bool comment = false;  // a ':' line (keep-alive), not an event
    };

    SseClient() = default;
    ~SseClient();
    SseClient(const SseClient&) = delete;
    SseClient& operator=(const SseClient&) = delete;

    // Sends GET `target` with `extra_headers` (each ending in CRLF; Accept: text/event-stream is
    // added unless `accept` is empty) and returns the status (0: none in time). head() holds the
    // response head; body() what followed it for a refusal.
    int open(std::uint16_t port, const std::string& target, const std::string& extra_headers = "",
             const std::string& accept = "text/event-stream", std::chrono::milliseconds timeout = std::chrono::seconds(5));
    const std::string& head() const { return head_; }
    std::string body(std::chrono::milliseconds timeout = std::chrono::seconds(2));

    // The next event or comment; nullopt on timeout or end of stream (then eof() is true).
    std::optional<Event> next(std::chrono::milliseconds timeout = std::chrono::seconds(3));
    // The next event that is not a comment.
    std::optional<Event> next_event(std::chrono::milliseconds timeout = std::chrono::seconds(3));
    bool wait_eof(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    bool eof() const { return eof_; }

private:
    bool read_more(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string head_;
    std::string buffer_;
    bool eof_ = false;
};

}  // namespace wsgw::test
