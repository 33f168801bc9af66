#include "net/gateway.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <thread>

#include "net/listener.hpp"
#include "net/logging.hpp"
#include "net/redis_subscriber.hpp"
#include "net/ws_session.hpp"
#include "wsgw/close_codes.hpp"

namespace wsgw {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
// How long open sockets get to finish their close handshakes at shutdown.
constexpr auto kShutdownTimeout = 5s;
}  // namespace

Gateway::Gateway(const Config& config)
    : config_(config),
      shards_([&] {
          std::vector<std::unique_ptr<Shard>> v;
          for (std::size_t i = 0; i < config.threads; ++i) v.push_back(std::make_unique<Shard>(i));
          return v;
      }()),
      signals_(shards_.front()->ioc, SIGINT, SIGTERM),
      shutdown_timer_(shards_.front()->ioc) {
    ctx_.auth.secret = config.jwt_secret;
    ctx_.auth.user_claim = config.jwt_user_claim;
    ctx_.auth.leeway = std::chrono::seconds(config.jwt_leeway_s);
    ctx_.jwt_cookie = config.jwt_cookie;
    ctx_.send_queue = {config.send_queue_max_messages, config.send_queue_max_bytes};
    ctx_.max_inbound_frame_bytes = config.max_inbound_frame_bytes;
    ctx_.max_http_request_bytes = config.max_http_request_bytes;
    ctx_.handshake_timeout = std::chrono::milliseconds(config.handshake_timeout_ms);
    ctx_.ping_interval = std::chrono::milliseconds(config.ws_ping_interval_ms);
    limits_.max_bytes = config.max_message_bytes;

    listener_ = std::make_shared<Listener>(shards_, ctx_, config.listen_address);
    RedisSubscriber::Options options{config.redis, std::chrono::milliseconds(config.redis_connect_timeout_ms),
                                     std::chrono::milliseconds(config.redis_reconnect_min_ms),
                                     std::chrono::milliseconds(config.redis_reconnect_max_ms)};
    subscriber_ = std::make_unique<RedisSubscriber>(
        shards_.front()->ioc.get_executor(), std::move(options), ctx_.metrics,
        [this](std::string_view channel, std::string_view payload) { on_redis_message(channel, payload); },
        [this](bool subscribed) { ctx_.redis_ready = subscribed; });
}

Gateway::~Gateway() = default;

void Gateway::run() {
    auto local = listener_->local_endpoint();
    log::info("listening", {{"address", local.address().to_string()}, {"port", local.port()}, {"threads", shards_.size()}});
    listener_->start();
    subscriber_->start();
    signals_.async_wait([this](boost::system::error_code ec, int signo) {
        if (!ec) begin_shutdown(signo == SIGTERM ? "SIGTERM" : "SIGINT");
    });

    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < shards_.size(); ++i) threads.emplace_back([s = shards_[i].get()] { s->ioc.run(); });
    shards_.front()->ioc.run();
    for (auto& t : threads) t.join();
    log::info("stopped");
}

void Gateway::on_redis_message(std::string_view channel_name, std::string_view payload) {
    auto channel = parse_channel(channel_name);
    std::optional<ValidationResult> result;
    if (channel) result.emplace(validate_message(payload, *channel, limits_, std::chrono::system_clock::now()));
    if (!channel || !result->ok()) {
        auto reason = channel ? result->rejection().reason : DropReason::bad_channel;
        ctx_.metrics.count_dropped(reason);
        std::uint64_t suppressed = 0;
        if (drop_log_limiter_.allow(std::chrono::steady_clock::now(), suppressed) || suppressed) {
            log::warn("message_dropped", {{"reason", to_string(reason)},
                                          {"detail", channel ? result->rejection().detail : "channel name has the wrong shape or an invalid id"},
                                          {"channel", safe_prefix(channel_name, 160)},
                                          {"bytes", payload.size()},
                                          {"prefix", safe_prefix(payload, 64)},
                                          {"suppressed_before", suppressed}});
        }
        return;
    }
    Message& msg = result->message();
    ctx_.metrics.count_received(channel->kind, msg.type, msg.format);
    dispatch(*channel, std::move(msg));
}

void Gateway::dispatch(const Channel& channel, Message&& message) {
    // One immutable Delivery per message, shared by every shard and every target queue.
    auto delivery = std::make_shared<Delivery>();
    delivery->outbound.frame = std::move(message.frame);
    delivery->outbound.type = message.type;
    delivery->outbound.project_id = std::move(message.project_id);
    delivery->user_id = channel.user_id;
    if (channel.kind == ChannelKind::project) delivery->project_id = channel.project_id;

    for (auto& shard : shards_) {
        // dispatch runs inline on the subscriber's own shard and posts to the others.
        asio::dispatch(shard->ioc, [delivery, s = shard.get(), &metrics = ctx_.metrics] {
            auto n = s->registry.for_each_target(delivery->user_id, delivery->project_id, [&](WsSession* session) {
                session->send(OutboundPtr(delivery, &delivery->outbound));
            });
            if (n) Metrics::add(metrics.deliveries, n);
        });
    }
}

void Gateway::begin_shutdown(const char* cause) {
    if (shutting_down_) return;
    shutting_down_ = true;
    ctx_.draining = true;
    log::info("shutdown_started", {{"cause", cause}, {"connections", ctx_.metrics.connections_open.load()}});
    // A second signal ends the process at once.
    signals_.async_wait([](boost::system::error_code ec, int) {
        if (!ec) {
            log::warn("shutdown_forced");
            std::_Exit(1);
        }
    });
    listener_->stop();
    subscriber_->stop();
    ctx_.redis_ready = false;
    for (auto& shard : shards_) {
        asio::post(shard->ioc, [s = shard.get()] {
            std::vector<WsSession*> sessions;
            s->registry.for_each([&](WsSession* session) { sessions.push_back(session); });
            for (auto* session : sessions) session->close(close_code::going_away, "server shutting down", DisconnectReason::shutdown);
        });
    }
    shutdown_deadline_ = std::chrono::steady_clock::now() + kShutdownTimeout;
    await_sessions_closed();
}

void Gateway::await_sessions_closed() {
    if (ctx_.metrics.connections_open.load() <= 0 || std::chrono::steady_clock::now() >= shutdown_deadline_) {
        stop_all();
        return;
    }
    shutdown_timer_.expires_after(20ms);
    shutdown_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) await_sessions_closed();
    });
}

void Gateway::stop_all() {
    signals_.cancel();
    for (auto& shard : shards_) {
        shard->work.reset();
        shard->ioc.stop();
    }
}

}  // namespace wsgw
