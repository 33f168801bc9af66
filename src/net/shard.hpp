#pragma once
// One I/O thread's world: its io_context, and the registry of the sessions whose sockets live on
// it. Only that thread touches the registry, so fan-out takes no lock: a message is posted once
// to each shard, and each shard walks its own targets.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "net/session.hpp"
#include "wsgw/auth.hpp"
#include "wsgw/client_address.hpp"
#include "wsgw/connection_limits.hpp"
#include "wsgw/message.hpp"
#include "wsgw/metrics.hpp"
#include "wsgw/origin.hpp"
#include "wsgw/registry.hpp"
#include "wsgw/send_queue.hpp"

namespace wsgw {

class TlsContextStore;

// Settings and shared state every session and endpoint reads; immutable after start-up except
// for the atomics and the (internally locked) limiter and TLS store.
struct GatewayContext {
    explicit GatewayContext(ConnectionCaps caps) : limiter(caps) {}

    AuthConfig auth;
    std::string jwt_cookie;
    OriginPolicy origins;
    TrustedProxies proxies;
    SendQueueLimits send_queue;
    std::size_t max_inbound_frame_bytes = 4096;
    std::size_t max_http_request_bytes = 8192;
    double client_messages_per_second = 10;
    double client_messages_burst = 20;
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds ping_interval{25'000};
    std::shared_ptr<TlsContextStore> tls;  // null: plain ws:// and http://
    ConnectionLimiter limiter;
    Metrics metrics;
    std::atomic<bool> redis_ready{false};
    std::atomic<bool> draining{false};
};

// A validated message on its way to the sockets of one user, shared by every shard and queue.
struct Delivery {
    Outbound outbound;
    std::string user_id;
    std::string project_id;  // empty for user_noti:* messages
};

struct Shard {
    explicit Shard(std::size_t index) : index(index), ioc(1), work(ioc.get_executor()) {}

    std::size_t index;
    boost::asio::io_context ioc;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
    Registry<Session*> registry;
};

}  // namespace wsgw
