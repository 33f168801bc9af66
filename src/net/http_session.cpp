#include "net/http_session.hpp"

#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>

#include "net/logging.hpp"
#include "net/ws_session.hpp"
#include "wsgw/channel.hpp"
#include "wsgw/http_query.hpp"

namespace wsgw {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

std::string remote_of(const boost::asio::ip::tcp::socket& s) {
    boost::system::error_code ec;
    auto ep = s.remote_endpoint(ec);
    if (ec) return "unknown";
    auto addr = ep.address();
    return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" + std::to_string(ep.port());
}

std::string error_body(std::string_view error, std::string_view reason) {
    return nlohmann::json{{"error", error}, {"reason", reason}}.dump();
}

}  // namespace

HttpSession::HttpSession(boost::asio::ip::tcp::socket&& socket, Shard& shard, GatewayContext& ctx)
    : stream_(std::move(socket)), shard_(shard), ctx_(ctx), remote_(remote_of(stream_.socket())) {}

void HttpSession::start() { read(); }

void HttpSession::read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(ctx_.max_http_request_bytes));
    parser_->body_limit(0);  // every endpoint is a GET; a request body is refused
    stream_.expires_after(ctx_.handshake_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == boost::asio::error::eof ||
        ec == boost::asio::error::connection_reset || ec == boost::asio::error::operation_aborted) {
        // Expected ends of a connection: the client left, idled, or the server is stopping.
        beast::error_code ignored;
        stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
        return;
    }
    if (ec == http::error::header_limit) {
        ctx_.metrics.count_http_rejection(HttpRejection::request_too_large);
        return reply_json(http::status::request_header_fields_too_large,
                          error_body("request_too_large", "request head exceeds max_http_request_bytes"), false);
    }
    if (ec == http::error::body_limit) {
        ctx_.metrics.count_http_rejection(HttpRejection::request_too_large);
        return reply_json(http::status::payload_too_large, error_body("request_too_large", "request bodies are not accepted"),
                          false);
    }
    if (ec) {
        ctx_.metrics.count_http_rejection(HttpRejection::bad_request);
        log::debug("http_bad_request", {{"remote", remote_}, {"error", ec.message()}});
        return reply_json(http::status::bad_request, error_body("bad_request", "malformed HTTP request"), false);
    }
    handle(parser_->release());
}

void HttpSession::handle(Request&& req) {
    auto path = target_path(req.target());
    bool known = path == "/ws" || path == "/healthz" || path == "/readyz" || path == "/metrics";
    if (!known) {
        ctx_.metrics.count_http_rejection(HttpRejection::not_found);
        return reply_json(http::status::not_found, error_body("not_found", "no such endpoint"), req.keep_alive());
    }
    if (req.method() != http::verb::get) {
        ctx_.metrics.count_http_rejection(HttpRejection::method_not_allowed);
        Response res{http::status::method_not_allowed, req.version()};
        res.set(http::field::allow, "GET");
        res.set(http::field::content_type, "application/json");
        res.body() = error_body("method_not_allowed", "use GET");
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        return reply(std::move(res));
    }
    if (path == "/ws") return upgrade(std::move(req));
    if (path == "/healthz") return reply_json(http::status::ok, R"({"status":"ok"})", req.keep_alive());
    if (path == "/readyz") {
        if (ctx_.draining.load())
            return reply_json(http::status::service_unavailable, R"({"status":"draining"})", req.keep_alive());
        if (!ctx_.redis_ready.load())
            return reply_json(http::status::service_unavailable, R"({"status":"not_ready","redis":"not_subscribed"})",
                              req.keep_alive());
        return reply_json(http::status::ok, R"({"status":"ready","redis":"subscribed"})", req.keep_alive());
    }
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = render_prometheus(ctx_.metrics);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    reply(std::move(res));
}

void HttpSession::upgrade(Request&& req) {
    if (!websocket::is_upgrade(req)) {
        ctx_.metrics.count_http_rejection(HttpRejection::bad_request);
        Response res{http::status::upgrade_required, req.version()};
        res.set(http::field::upgrade, "websocket");
        res.set(http::field::content_type, "application/json");
        res.body() = error_body("upgrade_required", "GET /ws must be a WebSocket upgrade");
        res.keep_alive(false);
        res.prepare_payload();
        return reply(std::move(res));
    }
    if (ctx_.draining.load())
        return reply_json(http::status::service_unavailable, error_body("draining", "server is shutting down"), false);

    // Authenticate before anything else about the request is acted on.
    auto token = extract_token(req.target(), req[http::field::authorization], req[http::field::cookie], ctx_.jwt_cookie);
    auto auth = token ? verify_token(*token, ctx_.auth, std::chrono::system_clock::now())
                      : AuthResult::failure(AuthFailure::missing_token);
    if (!auth.ok()) {
        ctx_.metrics.count_auth_failure(auth.failure());
        // The token itself is never logged.
        log::warn("auth_failed", {{"remote", remote_}, {"reason", to_string(auth.failure())}});
        Response res{http::status::unauthorized, req.version()};
        res.set(http::field::content_type, "application/json");
        res.set(http::field::www_authenticate, "Bearer");
        res.body() = error_body("unauthorized", to_string(auth.failure()));
        res.keep_alive(false);
        res.prepare_payload();
        return reply(std::move(res));
    }

    auto project = query_param(req.target(), "project_id");
    if (!project) project = query_param(req.target(), "projectId");
    if (project && !is_valid_id(*project)) {
        ctx_.metrics.count_http_rejection(HttpRejection::bad_project_id);
        log::warn("bad_request", {{"remote", remote_}, {"user", auth.identity().user_id}, {"reason", "invalid project_id"}});
        return reply_json(http::status::bad_request,
                          error_body("bad_request", "project_id must be 1-64 characters of [A-Za-z0-9_-]"), false);
    }

    stream_.expires_never();
    auto session = std::make_shared<WsSession>(std::move(stream_), shard_, ctx_, auth.identity(),
                                               project.value_or(std::string{}), std::move(remote_));
    session->start(std::move(req));
}

void HttpSession::reply_json(http::status status, std::string body, bool keep_alive) {
    Response res{status, 11};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    reply(std::move(res));
}

void HttpSession::reply(Response&& res) {
    res.set(http::field::server, "ws-gateway/" WSGW_VERSION);
    auto sp = std::make_shared<Response>(std::move(res));
    stream_.expires_after(ctx_.handshake_timeout);
    http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
        if (ec) return;
        if (!sp->keep_alive()) {
            beast::error_code ignored;
            self->stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
            return;
        }
        self->read();
    });
}

}  // namespace wsgw
