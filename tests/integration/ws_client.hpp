#pragma once
// Real WebSocket and HTTP clients over loopback, with timeouts on every wait.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace wsgw::test {

using namespace std::chrono_literals;

struct HttpResult {
    int status = 0;  // 0: no response (connection failed or timed out)
    std::string body;
    std::map<std::string, std::string> headers;
};

HttpResult http_get(std::uint16_t port, const std::string& target,
                    const std::map<std::string, std::string>& headers = {}, std::chrono::milliseconds timeout = 5s);
// Sends `request` verbatim and returns the status code of the response (0: none in time).
int raw_http_status(std::uint16_t port, const std::string& request, std::string* response = nullptr,
                    std::chrono::milliseconds timeout = 5s);

// The same over TLS (certificate not verified); `peer_cert_subject` receives the server
// certificate's subject line.
HttpResult https_get(std::uint16_t port, const std::string& target, std::string* peer_cert_subject = nullptr,
                     std::chrono::milliseconds timeout = 5s);

// Over plain TCP (WsClient) or TLS (WssClient; the server certificate is not verified).
template <class Stream>
class BasicWsClient {
public:
    BasicWsClient();
    ~BasicWsClient();
    BasicWsClient(const BasicWsClient&) = delete;
    BasicWsClient& operator=(const BasicWsClient&) = delete;

    // Opens the connection and performs the upgrade. On refusal, returns false and
    // refused_status()/refused_body() hold the HTTP answer.
    bool connect(std::uint16_t port, const std::string& target, const std::map<std::string, std::string>& headers = {},
                 std::chrono::milliseconds timeout = 5s);
    // Shrinks the socket's receive buffer (call before connect): a client that reads slowly then
    // backs up into the server's queue quickly instead of into kernel buffers.
    void set_receive_buffer(int bytes);
    int refused_status() const { return refused_status_; }
    const std::string& refused_body() const { return refused_body_; }

    // The next text message, or nullopt when none arrived within `timeout` or the socket
    // closed (then closed() is true and close_code() holds the peer's code).
    std::optional<std::string> next(std::chrono::milliseconds timeout = 3s);
    // True when nothing arrives for `quiet`.
    bool silent_for(std::chrono::milliseconds quiet) { return !next(quiet).has_value() && !closed_; }

    void send_text(const std::string& text);
    void send_binary(const std::string& data);
    void close(std::uint16_t code = 1000);
    // Waits for the server to close; returns its close code (or 0 on timeout, 1006 on abrupt close).
    int wait_closed(std::chrono::milliseconds timeout = 5s);

    bool closed() const { return closed_; }
    int close_code() const { return close_code_; }

private:
    bool run_until(bool& done, std::chrono::milliseconds timeout);

    boost::asio::io_context ioc_;
    boost::asio::ssl::context tls_{boost::asio::ssl::context::tls_client};
    boost::beast::websocket::stream<Stream> ws_;
    boost::beast::flat_buffer buffer_;
    bool reading_ = false;
    bool read_done_ = false;
    boost::beast::error_code read_ec_;
    bool closed_ = false;
    int close_code_ = 0;
    int refused_status_ = 0;
    std::string refused_body_;
};

using WsClient = BasicWsClient<boost::beast::tcp_stream>;
using WssClient = BasicWsClient<boost::beast::ssl_stream<boost::beast::tcp_stream>>;
extern template class BasicWsClient<boost::beast::tcp_stream>;
extern template class BasicWsClient<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

}  // namespace wsgw::test
