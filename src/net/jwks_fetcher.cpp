#include "net/jwks_fetcher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>

#include "net/logging.hpp"

namespace wsgw {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kAwait = asio::use_awaitable;

// Sends the GET and reads the answer over a connected (and, for https, handshaken) stream.
template <class Stream>
asio::awaitable<void> exchange(Stream& stream, const HttpUrl& url, http::response_parser<http::string_body>& parser,
                               beast::error_code& ec) {
    http::request<http::empty_body> req{http::verb::get, url.target, 11};
    req.set(http::field::host, url.host_header());
    req.set(http::field::user_agent, "ws-gateway/" WSGW_VERSION);
    req.set(http::field::accept, "application/json, application/jwk-set+json");
    req.set(http::field::connection, "close");
    co_await http::async_write(stream, req, asio::redirect_error(kAwait, ec));
    if (ec) co_return;
    beast::flat_buffer buffer;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(kAwait, ec));
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

std::int64_t steady_ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The same keys under the same kids: a refresh that changed nothing is not worth an info line.
bool same_keys(const KeySet* a, const KeySet& b) {
    if (!a || a->keys.size() != b.keys.size()) return false;
    for (auto ia = a->keys.begin(), ib = b.keys.begin(); ia != a->keys.end(); ++ia, ++ib)
        if (ia->first != ib->first || ia->second.public_key_pem != ib->second.public_key_pem) return false;
    return true;
}

std::string kid_list(const KeySet& set) {
    std::string out;
    for (const auto& [kid, key] : set.keys) {
        if (!out.empty()) out += ",";
        out += kid + ":" + std::string(to_string(key.algorithm));
    }
    return out;
}

}  // namespace

JwksFetcher::JwksFetcher(asio::any_io_executor executor, Options options, Metrics& metrics, KeysHandler on_keys)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      metrics_(metrics),
      on_keys_(std::move(on_keys)),
      timer_(executor_),
      policy_(options_.refresh, Clock::now()) {
    if (options_.url.tls) {
        tls_.emplace(ssl::context::tls_client);
        tls_->set_default_verify_paths();
        tls_->set_verify_mode(ssl::verify_peer);
        SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
    }
    metrics_.jwks_enabled = true;
}

JwksFetcher::~JwksFetcher() = default;

void JwksFetcher::start() {
    asio::co_spawn(executor_, run(), asio::detached);
}

void JwksFetcher::stop() {
    asio::post(executor_, [this] {
        stopped_ = true;
        timer_.cancel();
    });
}

void JwksFetcher::key_missing() {
    if (missing_posted_.exchange(true)) return;
    asio::post(executor_, [this] {
        missing_posted_ = false;
        if (!stopped_ && policy_.unknown_kid(Clock::now())) timer_.cancel();
    });
}

void JwksFetcher::refetch_now() {
    asio::post(executor_, [this] {
        if (stopped_) return;
        policy_.refetch_now(Clock::now());
        timer_.cancel();
    });
}

asio::awaitable<void> JwksFetcher::run() {
    while (!stopped_) {
        if (policy_.due(Clock::now())) {
            policy_.started(Clock::now());
            auto outcome = co_await fetch();
            if (stopped_) co_return;
            take(std::move(outcome));
            continue;
        }
        timer_.expires_at(policy_.next_fetch());
        beast::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(kAwait, ec));  // cancelled: look again
    }
}

asio::awaitable<JwksFetcher::Outcome> JwksFetcher::fetch() {
    Outcome out;
    const auto& url = options_.url;
    auto ex = co_await asio::this_coro::executor;
    beast::error_code ec;

    // The resolver has no deadline of its own: a timer cancels it, and the stream's expiry
    // covers everything after it.
    tcp::resolver resolver(ex);
    asio::steady_timer deadline(ex);
    deadline.expires_after(options_.timeout);
    auto cancelled = std::make_shared<bool>(false);
    deadline.async_wait([&resolver, cancelled](beast::error_code wait_ec) {
        if (wait_ec || *cancelled) return;
        resolver.cancel();
    });
    auto endpoints = co_await resolver.async_resolve(url.host, std::to_string(url.port), asio::redirect_error(kAwait, ec));
    *cancelled = true;
    deadline.cancel();
    if (ec) {
        out.detail = "resolve " + url.host + ": " + ec.message();
        co_return out;
    }

    http::response_parser<http::string_body> parser;
    parser.header_limit(kJwksMaxHeaderBytes);
    parser.body_limit(kMaxJwksDocumentBytes);
    if (tls_) {
        beast::ssl_stream<beast::tcp_stream> stream(ex, *tls_);
        beast::get_lowest_layer(stream).expires_after(options_.timeout);
        // SNI names the host (never an address, RFC 6066 section 3), and the certificate must match it.
        if (!is_ip_literal(url.host) && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
            out.detail = "cannot set SNI";
            co_return out;
        }
        stream.set_verify_callback(ssl::host_name_verification(url.host));
        co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::redirect_error(kAwait, ec));
        if (!ec) co_await stream.async_handshake(ssl::stream_base::client, asio::redirect_error(kAwait, ec));
        if (!ec) co_await exchange(stream, url, parser, ec);
        beast::error_code ignored;
        beast::get_lowest_layer(stream).socket().close(ignored);
    } else {
        beast::tcp_stream stream(ex);
        stream.expires_after(options_.timeout);
        co_await stream.async_connect(endpoints, asio::redirect_error(kAwait, ec));
        if (!ec) co_await exchange(stream, url, parser, ec);
        beast::error_code ignored;
        stream.socket().close(ignored);
    }
    if (ec == http::error::body_limit) {
        out.result = JwksFetchResult::too_large;
        out.detail = "response body exceeds " + std::to_string(kMaxJwksDocumentBytes) + " bytes";
        co_return out;
    }
    if (ec) {
        out.detail = ec.message();
        co_return out;
    }
    auto res = parser.release();
    if (res.result() != http::status::ok) {
        out.result = JwksFetchResult::bad_status;
        out.detail = "HTTP " + std::to_string(res.result_int());
        co_return out;
    }
    out.result = JwksFetchResult::ok;
    out.body = std::move(res.body());
    co_return out;
}

void JwksFetcher::take(Outcome outcome) {
    const auto now = Clock::now();
    if (outcome.result == JwksFetchResult::ok && current_ && outcome.body == current_body_) {
        // The same document as last time: the keys in use are current again, without rebuilding
        // them (checking dozens of large RSA keys would hold up this I/O thread for nothing).
        metrics_.count_jwks_fetch(JwksFetchResult::ok);
        policy_.succeeded(now);
        current_since_ = now;
        metrics_.jwks_loaded_at_ms = std::max<std::int64_t>(1, steady_ms(now));
        return;
    }
    if (outcome.result == JwksFetchResult::ok) {
        auto parsed = parse_jwks(outcome.body);
        if (!parsed.ok()) {
            outcome.result = JwksFetchResult::invalid;
            outcome.detail = parsed.error;
        } else {
            metrics_.count_jwks_fetch(JwksFetchResult::ok);
            policy_.succeeded(now);
            auto keys = std::make_shared<const KeySet>(std::move(parsed.keys));
            const bool changed = !same_keys(current_.get(), *keys);
            if (changed) {
                log::info("jwks_updated", {{"url", options_.url_text},
                                           {"keys", keys->keys.size()},
                                           {"kids", kid_list(*keys)},
                                           {"skipped", parsed.skipped.size()}});
                for (const auto& skipped : parsed.skipped)
                    log::warn("jwks_key_skipped",
                              {{"kid", safe_prefix(skipped.kid, 64)}, {"reason", to_string(skipped.reason)}});
            }
            current_ = keys;
            current_body_ = std::move(outcome.body);
            current_since_ = now;
            metrics_.jwks_keys = keys->keys.size();
            metrics_.jwks_loaded_at_ms = std::max<std::int64_t>(1, steady_ms(now));
            on_keys_(std::move(keys));
            return;
        }
    }
    metrics_.count_jwks_fetch(outcome.result);
    policy_.failed(now);
    const auto retry_ms = std::chrono::duration_cast<std::chrono::milliseconds>(policy_.next_fetch() - now).count();
    // The keys in use (if any) stay: a provider's bad minute must not lock every client out.
    log::warn("jwks_fetch_failed",
              {{"url", options_.url_text},
               {"result", to_string(outcome.result)},
               {"error", safe_prefix(outcome.detail, 200)},
               {"consecutive_failures", policy_.consecutive_failures()},
               {"keys_kept", current_ ? current_->keys.size() : 0},
               {"keys_age_s", current_ ? std::chrono::duration_cast<std::chrono::seconds>(now - current_since_).count() : -1},
               {"retry_in_ms", retry_ms}});
}

}  // namespace wsgw
