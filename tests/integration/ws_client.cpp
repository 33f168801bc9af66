#include "ws_client.hpp"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace wsgw::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

HttpResult http_get(std::uint16_t port, const std::string& target, const std::map<std::string, std::string>& headers,
                    std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    HttpResult result;
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    stream.expires_after(timeout);
    stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
        if (ec) return;
        http::async_write(stream, req, [&](beast::error_code ec2, std::size_t) {
            if (ec2) return;
            http::async_read(stream, buffer, res, [&](beast::error_code ec3, std::size_t) {
                if (ec3) return;
                result.status = static_cast<int>(res.result_int());
                result.body = res.body();
                for (const auto& f : res) result.headers[std::string(f.name_string())] = std::string(f.value());
            });
        });
    });
    ioc.run();
    return result;
}

namespace {
template <class Stream>
constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

template <class Stream>
Stream make_stream(asio::io_context& ioc, asio::ssl::context& tls) {
    if constexpr (kTls<Stream>) {
        tls.set_verify_mode(asio::ssl::verify_none);
        return Stream(ioc, tls);
    } else {
        (void)tls;
        return Stream(ioc);
    }
}
}  // namespace

int raw_http_status(std::uint16_t port, const std::string& request, std::string* response,
                    std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    std::string received;
    std::array<char, 4096> buf{};
    std::function<void()> read_more = [&] {
        stream.async_read_some(asio::buffer(buf), [&](beast::error_code ec, std::size_t n) {
            received.append(buf.data(), n);
            if (!ec) read_more();
        });
    };
    stream.expires_after(timeout);
    stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
        if (ec) return;
        asio::async_write(stream, asio::buffer(request), [&](beast::error_code ec2, std::size_t) {
            if (!ec2) read_more();
        });
    });
    ioc.run();
    if (response) *response = received;
    // "HTTP/1.1 405 Method Not Allowed"
    if (received.size() < 12 || received.compare(0, 5, "HTTP/") != 0) return 0;
    return std::atoi(received.c_str() + 9);
}

HttpResult https_get(std::uint16_t port, const std::string& target, std::string* subject,
                     std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_verify_mode(asio::ssl::verify_none);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
    HttpResult result;
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
        if (ec) return;
        stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code ec1) {
            if (ec1) return;
            if (subject) {
                if (X509* cert = SSL_get_peer_certificate(stream.native_handle())) {
                    char buf[512];
                    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
                    *subject = buf;
                    X509_free(cert);
                }
            }
            http::async_write(stream, req, [&](beast::error_code ec2, std::size_t) {
                if (ec2) return;
                http::async_read(stream, buffer, res, [&](beast::error_code ec3, std::size_t) {
                    if (ec3) return;
                    result.status = static_cast<int>(res.result_int());
                    result.body = res.body();
                });
            });
        });
    });
    ioc.run();
    return result;
}

template <class Stream>
BasicWsClient<Stream>::BasicWsClient() : ws_(make_stream<Stream>(ioc_, tls_)) {}

template <class Stream>
BasicWsClient<Stream>::~BasicWsClient() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

template <class Stream>
bool BasicWsClient<Stream>::run_until(bool& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done) {
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        ioc_.restart();
        ioc_.run_one_for(deadline - now);
    }
    return true;
}

template <class Stream>
void BasicWsClient<Stream>::set_receive_buffer(int bytes) {
    auto& sock = beast::get_lowest_layer(ws_).socket();
    beast::error_code ec;
    if (!sock.is_open()) sock.open(tcp::v4(), ec);
    sock.set_option(asio::socket_base::receive_buffer_size(bytes), ec);
}

template <class Stream>
bool BasicWsClient<Stream>::connect(std::uint16_t port, const std::string& target, const std::map<std::string, std::string>& headers,
                       std::chrono::milliseconds timeout) {
    bool done = false;
    bool ok = false;
    websocket::response_type res;
    ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
        for (const auto& [k, v] : headers) req.set(k, v);
    }));
    // Small enough to send oversized frames on purpose; large enough for every test message.
    ws_.read_message_max(16 * 1024 * 1024);
    beast::get_lowest_layer(ws_).expires_after(timeout);
    beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
            if (ec) {
                done = true;
                return;
            }
            auto upgrade = [&] {
                ws_.async_handshake(res, "127.0.0.1", target, [&](beast::error_code ec2) {
                    done = true;
                    if (ec2) {
                        refused_status_ = static_cast<int>(res.result_int());
                        refused_body_ = res.body();
                        return;
                    }
                    ok = true;
                });
            };
            if constexpr (kTls<Stream>) {
                ws_.next_layer().async_handshake(asio::ssl::stream_base::client, [&, upgrade](beast::error_code ec1) {
                    if (ec1) {
                        done = true;
                        return;
                    }
                    upgrade();
                });
            } else {
                upgrade();
            }
        });
    run_until(done, timeout + 1s);
    beast::get_lowest_layer(ws_).expires_never();
    return ok;
}

template <class Stream>
std::optional<std::string> BasicWsClient<Stream>::next(std::chrono::milliseconds timeout) {
    if (closed_) return std::nullopt;
    if (!reading_) {
        reading_ = true;
        read_done_ = false;
        ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
            read_ec_ = ec;
            read_done_ = true;
        });
    }
    // A read that times out stays pending; the next call picks up where it left off.
    if (!run_until(read_done_, timeout)) return std::nullopt;
    reading_ = false;
    if (read_ec_) {
        closed_ = true;
        // A close frame that arrived counts even when the TCP teardown after it failed (as a
        // browser reports the frame's code, not the socket error).
        close_code_ = ws_.reason().code != websocket::close_code::none ? static_cast<int>(ws_.reason().code) : 1006;
        return std::nullopt;
    }
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    return text;
}

template <class Stream>
void BasicWsClient<Stream>::send_text(const std::string& text) {
    ws_.text(true);
    beast::error_code ec;
    ws_.write(asio::buffer(text), ec);
}

template <class Stream>
void BasicWsClient<Stream>::send_binary(const std::string& data) {
    ws_.binary(true);
    beast::error_code ec;
    ws_.write(asio::buffer(data), ec);
}

template <class Stream>
void BasicWsClient<Stream>::close(std::uint16_t code) {
    bool done = false;
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code)), [&](beast::error_code) { done = true; });
    run_until(done, 3s);
    closed_ = true;
}

template <class Stream>
int BasicWsClient<Stream>::wait_closed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && std::chrono::steady_clock::now() < deadline) next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    return closed_ ? close_code_ : 0;
}

template class BasicWsClient<beast::tcp_stream>;
template class BasicWsClient<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace wsgw::test
