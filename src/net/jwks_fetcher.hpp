#pragma once
// Keeps the identity provider's key set fresh: fetches jwt_jwks_url with Beast's HTTP client at
// start, on the refresh interval, and sooner when a token names an unknown kid (as the refresh
// policy in wsgw/jwks_refresh.hpp allows), and hands every good set over. A failed or garbled
// answer never replaces the keys in use: it is logged and counted, and retried with backoff.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "wsgw/http_url.hpp"
#include "wsgw/jwks.hpp"
#include "wsgw/jwks_refresh.hpp"
#include "wsgw/metrics.hpp"

namespace wsgw {

// Time allowed for one fetch: resolve, connect, TLS handshake, request and response.
inline constexpr std::chrono::seconds kJwksFetchTimeout{10};
// Bounds the response head; the body is bounded by kMaxJwksDocumentBytes.
inline constexpr std::uint32_t kJwksMaxHeaderBytes = 16 * 1024;

class JwksFetcher {
public:
    struct Options {
        HttpUrl url;
        std::string url_text;  // for logs
        JwksRefreshSettings refresh;
        std::chrono::milliseconds timeout = kJwksFetchTimeout;
    };
    // Called on the executor's thread with each set fetched and parsed successfully.
    using KeysHandler = std::function<void(std::shared_ptr<const KeySet>)>;

    JwksFetcher(boost::asio::any_io_executor executor, Options options, Metrics& metrics, KeysHandler on_keys);
    ~JwksFetcher();

    void start();
    void stop();
    // Any thread: a token named a kid the set does not hold. Cheap when called in a burst: one
    // post until the executor has seen it.
    void key_missing();
    // Any thread (SIGHUP): fetch as soon as no fetch is under way.
    void refetch_now();

private:
    struct Outcome {
        JwksFetchResult result = JwksFetchResult::unreachable;
        std::string detail;  // the error, for the log
        std::string body;
    };

    boost::asio::awaitable<void> run();
    boost::asio::awaitable<Outcome> fetch();
    void take(Outcome outcome);

    boost::asio::any_io_executor executor_;
    Options options_;
    Metrics& metrics_;
    KeysHandler on_keys_;
    std::optional<boost::asio::ssl::context> tls_;  // https only: the system's CA store
    boost::asio::steady_timer timer_;
    JwksRefreshPolicy policy_;
    std::atomic<bool> missing_posted_{false};
    bool stopped_ = false;
    std::shared_ptr<const KeySet> current_;  // what was last handed over, to log changes only
    std::string current_body_;               // the document it came from
    std::chrono::steady_clock::time_point current_since_{};
};

}  // namespace wsgw
