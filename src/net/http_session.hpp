#pragma once
// One HTTP connection before (or instead of) a WebSocket upgrade: reads a request with bounded
// size and time, answers /healthz, /readyz and /metrics, and for GET /ws authenticates and hands
// the socket to a WsSession. Every refusal is a small JSON body.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>
#include <string>

#include "net/shard.hpp"

namespace wsgw {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(boost::asio::ip::tcp::socket&& socket, Shard& shard, GatewayContext& ctx);
    void start();

private:
    using Request = boost::beast::http::request<boost::beast::http::empty_body>;
    using Response = boost::beast::http::response<boost::beast::http::string_body>;

    void read();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    void handle(Request&& req);
    void upgrade(Request&& req);
    void reply(Response&& res);
    void reply_json(boost::beast::http::status status, std::string body, bool keep_alive);

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> parser_;
    Shard& shard_;
    GatewayContext& ctx_;
    std::string remote_;
};

}  // namespace wsgw
