#include "net/http_session.hpp"

#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>

#include "net/demo_page.hpp"
#include "net/disconnect_errors.hpp"
#include "net/logging.hpp"
#include "net/sse_session.hpp"
#include "net/ws_session.hpp"
#include "wsgw/channel.hpp"
#include "wsgw/request_headers.hpp"
#include "wsgw/request_target.hpp"
#include "wsgw/request_token.hpp"
#include "wsgw/text.hpp"
#include "wsgw/permessage_deflate.hpp"
#include "wsgw/ws_frame.hpp"

namespace wsgw {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;

namespace {

std::string error_body(std::string_view error, std::string_view reason) {
    return nlohmann::json{{"error", error}, {"reason", reason}}.dump();
}

std::optional<std::string_view> header(const http::request<http::empty_body>& req, http::field f) {
    auto it = req.find(f);
    if (it == req.end()) return std::nullopt;
    return it->value();
}

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(Stream&& stream, Shard& shard, GatewayContext& ctx, std::shared_ptr<void> tls_context,
                                 bool internal)
    : stream_(std::move(stream)), shard_(shard), ctx_(ctx), tls_context_(std::move(tls_context)), internal_(internal) {
    boost::system::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) {
        auto addr = ep.address();
        if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
        peer_ip_ = addr.to_string();
        remote_ = (addr.is_v6() ? "[" + peer_ip_ + "]" : peer_ip_) + ":" + std::to_string(ep.port());
    } else {
        peer_ip_ = remote_ = "unknown";
    }
}

template <class Stream>
HttpSession<Stream>::~HttpSession() {
    ctx_.metrics.connections_pending.fetch_sub(1, std::memory_order_relaxed);
}

template <class Stream>
void HttpSession<Stream>::start() {
    if constexpr (kIsTls<Stream>) {
        beast::get_lowest_layer(stream_).expires_after(ctx_.handshake_timeout);
        stream_.async_handshake(asio::ssl::stream_base::server,
                                [self = this->shared_from_this()](beast::error_code ec) {
                                    if (ec) {
                                        self->ctx_.metrics.count_http_rejection(HttpRejection::tls_handshake_failed);
                                        log::debug("tls_handshake_failed", {{"remote", self->remote_}, {"error", ec.message()}});
                                        return;
                                    }
                                    self->read();
                                });
    } else {
        read();
    }
}

template <class Stream>
void HttpSession<Stream>::read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(ctx_.max_http_request_bytes));
    parser_->body_limit(0);  // every endpoint is a GET; a request body is refused
    beast::get_lowest_layer(stream_).expires_after(ctx_.handshake_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec, std::size_t) {
    if (is_expected_disconnect(ec) || ec == beast::error::timeout || ec == asio::error::operation_aborted) {
        // Expected ends: the client left, idled, or the server is stopping.
        return close_transport();
    }
    if (ec == http::error::header_limit) {
        ctx_.metrics.count_http_rejection(HttpRejection::request_too_large);
        return reply_json(http::status::request_header_fields_too_large,
                          error_body("request_too_large", "request head exceeds max_http_request_bytes"), false);
    }
    if (ec == http::error::body_limit) {
        ctx_.metrics.count_http_rejection(HttpRejection::request_too_large);
        return reply_json(http::status::payload_too_large,
                          error_body("request_too_large", "request bodies are not accepted"), false);
    }
    if (ec) {
        ctx_.metrics.count_http_rejection(HttpRejection::bad_request);
        log::debug("http_bad_request", {{"remote", remote_}, {"error", ec.message()}});
        return reply_json(http::status::bad_request, error_body("bad_request", "malformed HTTP request"), false);
    }
    handle(parser_->release());
}

template <class Stream>
void HttpSession<Stream>::handle(Request&& req) {
    // Checked before routing: a WebSocket handshake without Host is refused too (RFC 6455
    // section 4.2.1 requires it).
    const auto [first_host, host_end] = req.equal_range(http::field::host);
    if (auto why = host_field_error(req.version(), static_cast<std::size_t>(std::distance(first_host, host_end)))) {
        log::debug("http_bad_request", {{"remote", remote_}, {"error", *why}});
        return refuse(http::status::bad_request, HttpRejection::bad_request, *why);
    }
    // A connection that never upgrades (a probe, a scraper) is not kept for ever: its last
    // allowed request is answered with Connection: close.
    const bool keep_alive = req.keep_alive() && ++requests_ < ctx_.max_requests_per_connection;
    auto path = target_path(req.target());
    const bool probe = path == "/healthz" || path == "/readyz";
    // With an internal listener, /metrics is served there only; that listener serves nothing a
    // client connects to.
    const bool metrics = path == "/metrics" && internal_ == ctx_.metrics_on_internal_listener;
    bool known = internal_ ? probe || metrics
                           : path == "/ws" || path == "/events" || probe || metrics || (path == "/demo" && ctx_.demo_enabled);
    if (!known) {
        ctx_.metrics.count_http_rejection(HttpRejection::not_found);
        return reply_json(http::status::not_found, error_body("not_found", "no such endpoint"), keep_alive);
    }
    if (req.method() != http::verb::get) {
        ctx_.metrics.count_http_rejection(HttpRejection::method_not_allowed);
        Response res{http::status::method_not_allowed, req.version()};
        res.set(http::field::allow, "GET");
        res.set(http::field::content_type, "application/json");
        res.body() = error_body("method_not_allowed", "use GET");
        res.keep_alive(keep_alive);
        res.prepare_payload();
        return reply(std::move(res));
    }
    if (path == "/ws") return upgrade(std::move(req));
    if (path == "/events") return events(std::move(req));
    if (path == "/demo") {
        Response res{http::status::ok, req.version()};
        res.set(http::field::content_type, "text/html; charset=utf-8");
        res.set(http::field::cache_control, "no-store");
        res.set("X-Content-Type-Options", "nosniff");
        res.set("Content-Security-Policy",
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:");
        res.body() = std::string(demo_page_html());
        res.keep_alive(keep_alive);
        res.prepare_payload();
        return reply(std::move(res));
    }
    if (path == "/healthz") return reply_json(http::status::ok, R"({"status":"ok"})", keep_alive);
    if (path == "/readyz") {
        if (ctx_.draining.load())
            return reply_json(http::status::service_unavailable, R"({"status":"draining"})", keep_alive);
        // Every part that gates readiness is named, so a probe shows all that is missing at once.
        const bool redis = ctx_.redis_ready.load();
        const bool jwks = !ctx_.jwks_enabled || ctx_.jwks_loaded.load();
        std::string body = redis && jwks ? R"({"status":"ready")" : R"({"status":"not_ready")";
        body += redis ? R"(,"redis":"subscribed")" : R"(,"redis":"not_subscribed")";
        if (ctx_.jwks_enabled) body += jwks ? R"(,"jwks":"loaded")" : R"(,"jwks":"not_loaded")";
        body += '}';
        return reply_json(redis && jwks ? http::status::ok : http::status::service_unavailable, body, keep_alive);
    }
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = render_prometheus(ctx_.metrics);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    reply(std::move(res));
}

template <class Stream>
void HttpSession<Stream>::refuse(http::status status, HttpRejection why, std::string_view reason) {
    ctx_.metrics.count_http_rejection(why);
    reply_json(status, error_body(to_string(why), reason), false);
}

template <class Stream>
void HttpSession<Stream>::log_refusal(LogLimiter& limiter, std::string_view event, std::initializer_list<LogField> fields) {
    // A client, or a page that many browsers load, can repeat a refused request as fast as it
    // likes: the log takes a few lines per second of each kind and counts the rest.
    std::uint64_t suppressed = 0;
    if (!limiter.allow(std::chrono::steady_clock::now(), suppressed) && suppressed == 0) return;
    std::vector<LogField> all(fields);
    all.push_back(LogField{"suppressed_before", suppressed});
    log::event(log::Level::warn, event, all);
}

template <class Stream>
std::optional<Peer> HttpSession<Stream>::admit(const Request& req, std::optional<std::string> last_id) {
    // Every X-Forwarded-For line, in order, as one list: a proxy that adds a line of its own
    // instead of appending to the client's must not let the client's first line win.
    // Read only when some proxy is trusted: the policy believes the header from those alone.
    std::string x_forwarded_for;
    if (!ctx_.proxies.empty()) {
        std::vector<std::string_view> forwarded_for;
        for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it) forwarded_for.push_back(it->value());
        x_forwarded_for = join_field_lines(forwarded_for);
    }
    const AdmissionRequest request{peer_ip_,
                                   x_forwarded_for,
                                   req["X-Real-IP"],
                                   header(req, http::field::origin),
                                   req[http::field::host],
                                   req["X-Forwarded-Host"],
                                   req["Sec-Fetch-Site"],
                                   req.target(),
                                   req[http::field::authorization],
                                   req[http::field::cookie],
                                   std::move(last_id)};
    const AdmissionSettings settings{ctx_.draining.load(),
                                     &ctx_.proxies,
                                     &ctx_.origins,
                                     ctx_.jwt_cookie,
                                     ctx_.jwks_enabled && !ctx_.jwks_loaded.load(),
                                     ctx_.control_enabled && !ctx_.revocations_loaded.load()};
    const AdmissionChecks checks{
        // AuthState also fetches the key set again when a token names a key id it does not know.
        [this](std::string_view token) { return ctx_.auth_state.verify(token, std::chrono::system_clock::now()); },
        [this](std::string_view token_id) { return ctx_.revocations.contains(token_id, std::chrono::system_clock::now()); },
        [this](std::string_view user, std::string_view address) { return ctx_.limiter.try_acquire(user, address); }};
    auto decision = decide_admission(request, settings, checks);
    if (auto* refused = std::get_if<AdmissionRefusal>(&decision)) {
        refuse_admission(req, *refused);
        return std::nullopt;
    }
    auto& admitted = std::get<AdmittedRequest>(decision);
    Identity identity = std::move(admitted.identity);
    const auto fingerprint = token_fingerprint(identity.token_id);
    identity.token_id = std::string();  // an open socket keeps the 8-byte fingerprint, not the id
    return Peer{std::move(identity), fingerprint, std::move(admitted.project_filter), std::move(admitted.address),
                remote_, std::move(admitted.last_id)};
}

template <class Stream>
void HttpSession<Stream>::refuse_admission(const Request& req, const AdmissionRefusal& r) {
    // The token itself is never logged.
    switch (r.log) {
        case RefusalLog::none:
            break;
        case RefusalLog::origin_refused:
            log_refusal(shard_.refusal_logs.origin, "origin_refused",
                        {{"remote", remote_}, {"address", r.address}, {"origin", safe_prefix(r.origin, 128)},
                         {"reason", r.log_reason}});
            break;
        case RefusalLog::auth_failed:
            if (r.user.empty())
                log_refusal(shard_.refusal_logs.auth, "auth_failed",
                            {{"remote", remote_}, {"address", r.address}, {"reason", r.log_reason}});
            else
                log_refusal(shard_.refusal_logs.auth, "auth_failed",
                            {{"remote", remote_}, {"address", r.address}, {"reason", r.log_reason}, {"user", r.user}});
            break;
        case RefusalLog::bad_request:
            log::warn("bad_request", {{"remote", remote_}, {"user", r.user}, {"reason", r.log_reason}});
            break;
        case RefusalLog::limit_reached:
            log_refusal(shard_.refusal_logs.limit, "limit_reached",
                        {{"limit", r.log_reason}, {"remote", remote_}, {"address", r.address}, {"user", r.user}});
            break;
    }
    if (r.auth_failure) {
        ctx_.metrics.count_auth_failure(*r.auth_failure);
        return unauthorized(req.version(), *r.auth_failure);
    }
    refuse(static_cast<http::status>(r.status), r.rejection, r.reason);
}

template <class Stream>
void HttpSession<Stream>::upgrade(Request&& req) {
    // 426 names what the client must send instead: an upgrade, or protocol version 13.
    auto upgrade_required = [&](http::field field, const char* value, const char* reason) {
        ctx_.metrics.count_http_rejection(HttpRejection::bad_request);
        Response res{http::status::upgrade_required, req.version()};
        res.set(field, value);
        res.set(http::field::content_type, "application/json");
        res.body() = error_body("upgrade_required", reason);
        res.keep_alive(false);
        res.prepare_payload();
        reply(std::move(res));
    };
    if (!websocket::is_upgrade(req))
        return upgrade_required(http::field::upgrade, "websocket", "GET /ws must be a WebSocket upgrade");
    if (req[http::field::sec_websocket_version] != "13")
        return upgrade_required(http::field::sec_websocket_version, "13", "only WebSocket version 13 is supported");
    auto key = req[http::field::sec_websocket_key];
    if (!ws::is_valid_client_key(key))
        return refuse(http::status::bad_request, HttpRejection::bad_request, "missing or malformed Sec-WebSocket-Key");
    auto peer = admit(req, std::nullopt);
    if (!peer) return;

    // permessage-deflate, when the client offers it in a form this server can honour.
    std::optional<ws::PermessageDeflateAgreement> deflate;
    if (ctx_.compression) {
        std::vector<std::string_view> offers;
        for (auto [it, end] = req.equal_range(http::field::sec_websocket_extensions); it != end; ++it)
            offers.push_back(it->value());
        if (!offers.empty()) deflate = ws::negotiate_permessage_deflate(join_field_lines(offers));
    }
    std::string response = "HTTP/1.1 101 Switching Protocols\r\n"
                           "Server: ws-gateway/" WSGW_VERSION "\r\n"
                           "Upgrade: websocket\r\n"
                           "Connection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: ";
    response.append(ws::accept_key(key)).append("\r\n");
    if (deflate) {
        response.append("Sec-WebSocket-Extensions: ").append(deflate->response).append("\r\n");
        Metrics::add(ctx_.metrics.connections_compressed);
    }
    response.append("\r\n");
    // Bytes after the request head (a client that did not wait for the 101) are frames.
    auto rest = buffer_.cdata();
    std::string early(static_cast<const char*>(rest.data()), rest.size());

    beast::get_lowest_layer(stream_).expires_never();
    auto session = std::make_shared<WsSession<Stream>>(std::move(stream_), shard_, ctx_, std::move(*peer),
                                                       std::move(tls_context_), deflate.has_value());
    session->start(std::move(response), std::move(early));
}

template <class Stream>
void HttpSession<Stream>::events(Request&& req) {
    // EventSource always asks for the stream; anything else is not an SSE client.
    auto accept = req[http::field::accept];
    if (accept.find("text/event-stream") == std::string_view::npos && accept.find("*/*") == std::string_view::npos)
        return refuse(http::status::not_acceptable, HttpRejection::bad_request,
                      "GET /events answers only Accept: text/event-stream");
    // The browser's EventSource resumes by itself with Last-Event-ID, which wins over ?last_id=.
    std::optional<std::string> last_event_id;
    if (auto h = req["Last-Event-ID"]; !h.empty()) last_event_id = std::string(h);
    auto peer = admit(req, std::move(last_event_id));
    if (!peer) return;
    beast::get_lowest_layer(stream_).expires_never();
    auto session = std::make_shared<SseSession<Stream>>(std::move(stream_), shard_, ctx_, std::move(*peer),
                                                        std::move(tls_context_));
    session->start();
}

template <class Stream>
void HttpSession<Stream>::unauthorized(unsigned version, AuthFailure why) {
    Response res{http::status::unauthorized, version};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::www_authenticate, "Bearer");
    res.body() = error_body("unauthorized", to_string(why));
    res.keep_alive(false);
    res.prepare_payload();
    reply(std::move(res));
}

template <class Stream>
void HttpSession<Stream>::reply_json(http::status status, std::string body, bool keep_alive) {
    Response res{status, 11};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    reply(std::move(res));
}

template <class Stream>
void HttpSession<Stream>::reply(Response&& res) {
    res.set(http::field::server, "ws-gateway/" WSGW_VERSION);
    auto sp = std::make_shared<Response>(std::move(res));
    beast::get_lowest_layer(stream_).expires_after(ctx_.handshake_timeout);
    http::async_write(stream_, *sp, [self = this->shared_from_this(), sp](beast::error_code ec, std::size_t) {
        if (ec) return;
        if (!sp->keep_alive()) return self->close_transport();
        self->read();
    });
}

template <class Stream>
void HttpSession<Stream>::close_transport() {
    beast::error_code ignored;
    if constexpr (kIsTls<Stream>) {
        beast::get_lowest_layer(stream_).expires_after(ctx_.handshake_timeout);
        stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
            beast::error_code e;
            beast::get_lowest_layer(self->stream_).socket().close(e);
        });
    } else {
        stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace wsgw
