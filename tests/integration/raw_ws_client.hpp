#pragma once
// A WebSocket client that reads and writes raw bytes over a blocking loopback socket, for what
// a well-behaved client library never does: unmasked or malformed frames, fragments, frames
// sent with the upgrade request, silence towards keep-alive pings. Every wait has a timeout.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw::test {

class RawWsClient {
public:
    struct Frame {
        std::uint8_t opcode = 0;
        bool fin = false;
        bool masked = false;
        std::uint8_t rsv = 0;
        std::string payload;
    };

    RawWsClient() = default;
    ~RawWsClient();
    RawWsClient(const RawWsClient&) = delete;
    RawWsClient& operator=(const RawWsClient&) = delete;

    // Connects, sends the upgrade request for `target` (with `extra_headers`, each ending in
    // CRLF, and `version` as Sec-WebSocket-Version) followed by `after_request`, and returns the
    // response's status code (0: none in time). response_head() holds the response head.
    int upgrade(std::uint16_t port, const std::string& target, const std::string& extra_headers = "",
                const std::string& after_request = "", const std::string& version = "13",
                std::chrono::milliseconds timeout = std::chrono::seconds(5));
    const std::string& response_head() const { return head_; }

    void send_raw(std::string_view bytes);
    // A client frame: masked (unless `masked` is false) with a fixed non-zero key.
    static std::string frame(std::uint8_t opcode, std::string_view payload, bool fin = true, bool masked = true);
    static std::string close_frame(std::uint16_t code, std::string_view reason = "");

    // The next server frame; nullopt on timeout or end of stream (then eof() is true).
    std::optional<Frame> next_frame(std::chrono::milliseconds timeout = std::chrono::seconds(3));
    // Skips frames until a close frame: returns its code (1005 when empty), 0 when none came.
    int wait_close(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // Waits for the server to end the TCP connection; true when it did within `timeout`.
    bool wait_eof(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    bool eof() const { return eof_; }

private:
    // Reads until `buffer_` holds `n` bytes; false on timeout or end of stream.
    bool fill(std::size_t n, std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string head_;
    std::string buffer_;
    bool eof_ = false;
};

}  // namespace wsgw::test
