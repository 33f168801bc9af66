#pragma once
// One HTTP connection before (or instead of) a WebSocket upgrade, over plain TCP or TLS: reads a
// request with bounded size and time, answers /healthz, /readyz and /metrics, and for GET /ws
// and GET /events checks Origin, authenticates, admits under the connection limits and hands the
// stream to a WsSession or an SseSession. Every refusal is a small JSON body.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>
#include <string>

#include "net/gateway_context.hpp"
#include "net/shard.hpp"
#include "net/peer.hpp"
#include "net/streams.hpp"
#include "wsgw/admission_policy.hpp"
#include "wsgw/log_limiter.hpp"
#include "wsgw/log_line.hpp"

namespace wsgw {

template <class Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    // `tls_context` keeps the TLS context a TlsStream was made with alive (null for plain streams).
    // `internal`: the internal listener's connection, which serves /metrics and the probes only.
    // Counted in metrics.connections_pending (by the listener) until it upgrades or closes.
    HttpSession(Stream&& stream, Shard& shard, GatewayContext& ctx, std::shared_ptr<void> tls_context, bool internal);
    ~HttpSession();
    void start();

private:
    using Request = boost::beast::http::request<boost::beast::http::empty_body>;
    using Response = boost::beast::http::response<boost::beast::http::string_body>;

    void read();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    void handle(Request&& req);
    // What /ws and /events share: draining, Origin, token, revocation, project filter, last_id
    // (`last_id` comes from a header and wins over the query's), connection limits. Refuses and returns
    // nothing, or returns who is connecting, with a limiter slot acquired for them.
    std::optional<Peer> admit(const Request& req, std::optional<std::string> last_id);
    // Writes out a refused admission: its log line (rate-limited), its count, its response.
    void refuse_admission(const Request& req, const AdmissionRefusal& refusal);
    // A warning for a refused request, at most a few per second of each kind per thread.
    void log_refusal(LogLimiter& limiter, std::string_view event, std::initializer_list<LogField> fields);
    void upgrade(Request&& req);
    void events(Request&& req);
    void reply(Response&& res);
    void reply_json(boost::beast::http::status status, std::string body, bool keep_alive);
    void refuse(boost::beast::http::status status, HttpRejection why, std::string_view reason);
    void unauthorized(unsigned version, AuthFailure why);
    void close_transport();

    Stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> parser_;
    Shard& shard_;
    GatewayContext& ctx_;
    std::shared_ptr<void> tls_context_;
    std::string remote_;   // "ip:port"
    std::string peer_ip_;  // "ip"
    bool internal_;
    std::size_t requests_ = 0;  // answered on this connection, bounded by max_requests_per_connection
};

extern template class HttpSession<PlainStream>;
extern template class HttpSession<TlsStream>;

}  // namespace wsgw
