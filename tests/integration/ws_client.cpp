#include "ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

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

WsClient::WsClient() : ws_(ioc_) {}

WsClient::~WsClient() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

bool WsClient::run_until(bool& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done) {
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        ioc_.restart();
        ioc_.run_one_for(deadline - now);
    }
    return true;
}

bool WsClient::connect(std::uint16_t port, const std::string& target, const std::map<std::string, std::string>& headers,
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
            ws_.async_handshake(res, "127.0.0.1", target, [&](beast::error_code ec2) {
                done = true;
                if (ec2) {
                    refused_status_ = static_cast<int>(res.result_int());
                    refused_body_ = res.body();
                    return;
                }
                ok = true;
            });
        });
    run_until(done, timeout + 1s);
    beast::get_lowest_layer(ws_).expires_never();
    return ok;
}

std::optional<std::string> WsClient::next(std::chrono::milliseconds timeout) {
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

void WsClient::send_text(const std::string& text) {
    ws_.text(true);
    beast::error_code ec;
    ws_.write(asio::buffer(text), ec);
}

void WsClient::send_binary(const std::string& data) {
    ws_.binary(true);
    beast::error_code ec;
    ws_.write(asio::buffer(data), ec);
}

void WsClient::close(std::uint16_t code) {
    bool done = false;
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code)), [&](beast::error_code) { done = true; });
    run_until(done, 3s);
    closed_ = true;
}

int WsClient::wait_closed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && std::chrono::steady_clock::now() < deadline) next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    return closed_ ? close_code_ : 0;
}

}  // namespace wsgw::test
