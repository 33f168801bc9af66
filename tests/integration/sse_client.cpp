#include "sse_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "process_util.hpp"

namespace wsgw::test {

SseClient::~SseClient() {
    if (fd_ >= 0) ::close(fd_);
}

bool SseClient::read_more(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    auto got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) {
        eof_ = true;
        return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(got));
    return true;
}

int SseClient::open(std::uint16_t port, const std::string& target, const std::string& extra_headers,
                    const std::string& accept, std::chrono::milliseconds timeout) {
    fd_ = connect_loopback(port);
    if (fd_ < 0) return 0;
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                          (accept.empty() ? "" : "Accept: " + accept + "\r\n") + extra_headers + "\r\n";
    ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
        if (!read_more(deadline)) return 0;
    head_ = buffer_.substr(0, end + 4);
    buffer_.erase(0, end + 4);
    if (head_.size() < 12 || head_.compare(0, 9, "HTTP/1.1 ") != 0) return 0;
    return std::stoi(head_.substr(9, 3));
}

std::string SseClient::body(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (read_more(deadline)) {
    }
    return buffer_;
}

std::optional<SseClient::Event> SseClient::next(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    Event e;
    bool any = false;
    for (;;) {
        auto nl = buffer_.find('\n');
        if (nl == std::string::npos) {
            if (!read_more(deadline)) return std::nullopt;
            continue;
        }
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) {
            if (any) return e;
            continue;  // the blank line after a retry hint or a comment
        }
        if (line.front() == ':') {
            e.comment = true;
            e.data = line.substr(1);
            return e;
        }
        auto colon = line.find(':');
        std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (field == "id") e.id = value, any = true;
        else if (field == "event") e.event = value, any = true;
        else if (field == "data") e.data += (e.data.empty() ? "" : "\n") + value, any = true;
        // "retry" and unknown fields set nothing an event carries.
    }
}

std::optional<SseClient::Event> SseClient::next_event(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto e = next(left);
        if (!e) return std::nullopt;
        if (!e->comment) return e;
    }
}

bool SseClient::wait_eof(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_ && std::chrono::steady_clock::now() < deadline) {
        buffer_.clear();
        read_more(deadline);
    }
    return eof_;
}

}  // namespace wsgw::test
