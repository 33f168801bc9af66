#include "raw_ws_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "process_util.hpp"

namespace wsgw::test {

namespace {

constexpr unsigned char kMask[4] = {0x37, 0xfa, 0x21, 0x3d};

}  // namespace

RawWsClient::~RawWsClient() {
    if (fd_ >= 0) ::close(fd_);
}

int RawWsClient::upgrade(std::uint16_t port, const std::string& target, const std::string& extra_headers,
                         const std::string& after_request, const std::string& version,
                         std::chrono::milliseconds timeout) {
    fd_ = connect_loopback(port);
    if (fd_ < 0) return 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string request = "GET " + target +
                          " HTTP/1.1\r\n"
                          "Host: 127.0.0.1\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: " +
                          version + "\r\n" + extra_headers + "\r\n" + after_request;
    send_raw(request);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
        if (!fill(buffer_.size() + 1, deadline)) return 0;
    head_ = buffer_.substr(0, end + 4);
    buffer_.erase(0, end + 4);
    if (head_.size() < 12 || head_.compare(0, 9, "HTTP/1.1 ") != 0) return 0;
    return std::stoi(head_.substr(9, 3));
}

void RawWsClient::send_raw(std::string_view bytes) {
    while (!bytes.empty()) {
        auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return;  // the server closed: what it answered is still readable
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string RawWsClient::frame(std::uint8_t opcode, std::string_view payload, bool fin, bool masked) {
    std::string out;
    out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
    unsigned char mask_bit = masked ? 0x80 : 0;
    if (payload.size() <= 125) {
        out.push_back(static_cast<char>(mask_bit | payload.size()));
    } else if (payload.size() <= 0xffff) {
        out.push_back(static_cast<char>(mask_bit | 126));
        out.push_back(static_cast<char>(payload.size() >> 8));
        out.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
        out.push_back(static_cast<char>(mask_bit | 127));
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
    }
    if (masked) out.append(reinterpret_cast<const char*>(kMask), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(masked ? static_cast<char>(payload[i] ^ kMask[i % 4]) : payload[i]);
    return out;
}

std::string RawWsClient::close_frame(std::uint16_t code, std::string_view reason) {
    std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    payload.append(reason);
    return frame(8, payload);
}

bool RawWsClient::fill(std::size_t n, std::chrono::steady_clock::time_point deadline) {
    char chunk[16384];
    while (buffer_.size() < n) {
        if (eof_) return false;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        auto got = ::recv(fd_, chunk, sizeof chunk, 0);
        if (got <= 0) {
            eof_ = true;  // orderly end or reset
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(got));
    }
    return true;
}

std::optional<RawWsClient::Frame> RawWsClient::next_frame(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    if (!fill(2, deadline)) return std::nullopt;
    auto b0 = static_cast<unsigned char>(buffer_[0]);
    auto b1 = static_cast<unsigned char>(buffer_[1]);
    Frame f;
    f.fin = b0 & 0x80;
    f.rsv = (b0 >> 4) & 0x7;
    f.opcode = b0 & 0x0f;
    f.masked = b1 & 0x80;
    std::size_t header = 2;
    std::uint64_t length = b1 & 0x7f;
    if (length >= 126) {
        std::size_t bytes = length == 126 ? 2 : 8;
        if (!fill(2 + bytes, deadline)) return std::nullopt;
        length = 0;
        for (std::size_t i = 0; i < bytes; ++i) length = (length << 8) | static_cast<unsigned char>(buffer_[2 + i]);
        header += bytes;
    }
    if (f.masked) header += 4;
    if (!fill(header + length, deadline)) return std::nullopt;
    f.payload = buffer_.substr(header, length);
    if (f.masked)
        for (std::size_t i = 0; i < length; ++i) f.payload[i] ^= buffer_[header - 4 + i % 4];
    buffer_.erase(0, header + length);
    return f;
}

int RawWsClient::wait_close(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto f = next_frame(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
        if (!f) return 0;
        if (f->opcode != 8) continue;
        if (f->payload.size() < 2) return 1005;
        return (static_cast<unsigned char>(f->payload[0]) << 8) | static_cast<unsigned char>(f->payload[1]);
    }
    return 0;
}

bool RawWsClient::wait_eof(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_ && fill(buffer_.size() + 1, deadline)) {
    }
    return eof_;
}

}  // namespace wsgw::test
