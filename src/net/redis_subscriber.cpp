#include "net/redis_subscriber.hpp"

#include <boost/asio/post.hpp>

#include "net/logging.hpp"
#include "net/redis_reply.hpp"
#include "wsgw/backoff.hpp"
#include "wsgw/channel.hpp"

namespace wsgw {

namespace asio = boost::asio;

namespace {

std::string random_instance_id(std::minstd_rand& rng) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    for (int i = 0; i < 16; ++i) id.push_back(kHex[rng() % 16]);
    return id;
}

}  // namespace

RedisSubscriber::RedisSubscriber(asio::any_io_executor executor, Options options, Metrics& metrics,
                                 OnMessage on_message, OnControl on_control, OnState on_state)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      metrics_(metrics),
      on_message_(std::move(on_message)),
      on_control_(std::move(on_control)),
      on_state_(std::move(on_state)),
      subscriber_(executor_, [this](const std::string& cause) { on_subscriber_lost(cause); }),
      commands_(executor_, [](const std::string& cause) { log::debug("redis_commands_connection_lost", {{"cause", cause}}); }),
      retry_timer_(executor_),
      probe_timer_(executor_),
      rng_(std::random_device{}()) {
    probe_channel_ = std::string(kProbeChannelPrefix) + random_instance_id(rng_);
    if (options_.instance_id.empty()) options_.instance_id = random_instance_id(rng_);
    RedisNodeEvents events{[this](const RedisEndpoint& node) { connect_to(node); }, [this] { schedule_reconnect(); },
                           [this](const std::string& cause) { subscriber_.fail(cause); }};
    if (!options_.sentinels.empty())
        sentinel_ = std::make_unique<SentinelWatch>(
            executor_,
            SentinelWatch::Options{options_.sentinels, options_.master_name, options_.endpoint,
                                   options_.connect_timeout, options_.reconnect_min, options_.reconnect_max},
            metrics_, events);
    if (!options_.cluster_seeds.empty())
        cluster_ = std::make_unique<ClusterRouter>(
            executor_,
            ClusterRouter::Options{options_.endpoint, options_.cluster_seeds, options_.connect_timeout,
                                   options_.cluster_refresh, options_.instance_id},
            metrics_, std::move(events));
}

RedisSubscriber::~RedisSubscriber() = default;

void RedisSubscriber::start() {
    stopped_ = false;
    if (sentinel_) sentinel_->start();
    connect();
}

void RedisSubscriber::stop() {
    stopped_ = true;
    retry_timer_.cancel();
    probe_timer_.cancel();
    subscriber_.close();
    commands_.close();
    if (cluster_) cluster_->stop();
    if (sentinel_) sentinel_->stop();
    set_subscribed(false);
}

void RedisSubscriber::connect() {
    if (stopped_) return;
    Metrics::add(metrics_.redis_connect_attempts);
    if (cluster_) return cluster_->find_node();
    if (sentinel_) return sentinel_->resolve();
    connect_to(options_.endpoint);
}

void RedisSubscriber::connect_to(const RedisEndpoint& endpoint) {
    if (stopped_) return;
    current_ = endpoint;
    std::string error;
    if (!subscriber_.connect(endpoint, options_.connect_timeout, error)) {
        log::warn("redis_connect_failed", {{"redis", RedisClient::endpoint_text(endpoint)}, {"cause", error}});
        return schedule_reconnect();
    }
    subscriptions_confirmed_ = 0;
    if (options_.patterns)
        subscriber_.command({"PSUBSCRIBE", std::string(kUserPattern), std::string(kProjectPattern)},
                            [this](redisReply* r) { on_pubsub(r); }, /*subscription=*/true);
    else
        subscriber_.command({"SUBSCRIBE", probe_channel_}, [this](redisReply* r) { on_pubsub(r); }, /*subscription=*/true);
    if (!options_.control_channel.empty())
        subscriber_.command({"SUBSCRIBE", options_.control_channel}, [this](redisReply* r) { on_pubsub(r); },
                            /*subscription=*/true);
}

void RedisSubscriber::on_pubsub(redisReply* reply) {
    if (!reply) return;  // a lost connection is reported through on_subscriber_lost
    if (reply->type == REDIS_REPLY_ERROR) {
        // -LOADING, -NOAUTH, -NOPERM...: treated as a lost connection and retried.
        subscriber_.fail("PSUBSCRIBE refused: " + std::string(text(reply)));
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 || !is_string(reply->element[0])) return;
    auto kind = text(reply->element[0]);
    if (kind == "pmessage" && reply->elements == 4 && is_string(reply->element[2]) && is_string(reply->element[3])) {
        auto channel = text(reply->element[2]);
        if (channel.starts_with(kProbeChannelPrefix)) {
            if (channel == probe_channel_) on_probe_received(text(reply->element[3]));
            return;  // another gateway's probe
        }
        on_message_(channel, text(reply->element[3]));
    } else if (kind == "message" && is_string(reply->element[1]) && is_string(reply->element[2])) {
        if (text(reply->element[1]) == probe_channel_) on_probe_received(text(reply->element[2]));
        else if (on_control_) on_control_(text(reply->element[2]));
    } else if ((kind == "psubscribe" || kind == "subscribe") &&
               ++subscriptions_confirmed_ == (options_.patterns ? 2 : 1) + (options_.control_channel.empty() ? 0 : 1)) {
        subscriber_.mark_ready();
        attempt_ = 0;
        metrics_.redis_connected = 1;
        Metrics::add(metrics_.redis_connects);
        const auto node = RedisClient::endpoint_text(current_);
        if (cluster_ && !last_node_.empty() && last_node_ != node) {
            Metrics::add(metrics_.redis_node_switches);
            log::warn("redis_cluster_node_switch", {{"from", last_node_}, {"to", node}});
        }
        last_node_ = node;
        metrics_.set_redis_node(node);
        log::info("redis_subscribed", {{"redis", RedisClient::endpoint_text(current_)},
                                       {"patterns", options_.patterns ? std::string(kUserPattern) + " " + std::string(kProjectPattern)
                                                                      : std::string("none (sharded mode)")},
                                       {"control_channel", options_.control_channel}});
        set_subscribed(true);
        arm_probe();
        if (cluster_) cluster_->subscription_up();
        if (sentinel_) sentinel_->subscription_up();
    }
}

void RedisSubscriber::on_subscriber_lost(const std::string& cause) {
    probe_timer_.cancel();
    if (cluster_) cluster_->subscription_lost();  // its node is passed over for a while
    if (sentinel_) sentinel_->subscription_lost();
    probe_outstanding_ = false;
    metrics_.set_redis_node("");
    bool was_connected = metrics_.redis_connected.exchange(0) != 0;
    if (was_connected) Metrics::add(metrics_.redis_disconnects);
    log::warn("redis_disconnected", {{"redis", RedisClient::endpoint_text(current_)}, {"cause", cause}});
    set_subscribed(false);
    // Not from inside hiredis: the probe connection may be the one reporting.
    asio::post(executor_, [this] {
        commands_.close();
        if (cluster_) cluster_->reset_commands();  // the next goes where the next topology says
        schedule_reconnect();
    });
}

void RedisSubscriber::schedule_reconnect() {
    if (stopped_) return;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto delay = backoff_delay(attempt_, options_.reconnect_min, options_.reconnect_max, unit(rng_));
    ++attempt_;
    log::info("redis_reconnect_scheduled", {{"attempt", attempt_}, {"delay_ms", delay.count()}});
    retry_timer_.expires_after(delay);
    retry_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) connect();
    });
}

void RedisSubscriber::set_subscribed(bool on) {
    if (subscribed_ == on) return;
    subscribed_ = on;
    metrics_.redis_subscribed = on ? 1 : 0;
    if (on_state_) on_state_(on);
}

void RedisSubscriber::arm_probe() {
    if (options_.probe_interval.count() == 0 || stopped_) return;
    probe_timer_.expires_after(options_.probe_interval);
    probe_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) send_probe();
    });
}

bool RedisSubscriber::ensure_commands_connection() {
    if (commands_.active()) return true;
    std::string error;
    if (!commands_.connect(current_, options_.connect_timeout, error)) {
        log::warn("redis_commands_unavailable", {{"redis", RedisClient::endpoint_text(current_)}, {"cause", error}});
        return false;
    }
    // Replies have their own deadlines (the probe's timeout; a lost connection fails pending
    // handlers with null).
    commands_.mark_ready();
    return true;
}

void RedisSubscriber::command(const std::vector<std::string>& args, RedisClient::ReplyHandler handler) {
    if (cluster_ && !stopped_) return cluster_->command(args, std::move(handler));
    if (stopped_ || !ensure_commands_connection()) {
        if (handler) handler(nullptr);
        return;
    }
    commands_.command(args, std::move(handler));
}

std::optional<RedisEndpoint> RedisSubscriber::node() const {
    if (!subscribed_) return std::nullopt;
    return current_;
}

void RedisSubscriber::send_probe() {
    if (!subscribed_ || stopped_) return;
    if (!ensure_commands_connection()) return arm_probe();
    probe_outstanding_ = true;
    probe_sent_at_ = std::chrono::steady_clock::now();
    commands_.command({"PUBLISH", probe_channel_, std::to_string(++probe_seq_)}, nullptr);
    probe_timer_.expires_after(options_.probe_timeout);
    probe_timer_.async_wait([this, seq = probe_seq_](const boost::system::error_code& ec) {
        if (ec || !probe_outstanding_ || seq != probe_seq_) return;
        probe_outstanding_ = false;
        Metrics::add(metrics_.redis_probe_failures);
        log::warn("redis_probe_timeout", {{"timeout_ms", options_.probe_timeout.count()}});
        commands_.close();
        subscriber_.fail("liveness probe not received within " + std::to_string(options_.probe_timeout.count()) + " ms");
    });
}

void RedisSubscriber::on_probe_received(std::string_view payload) {
    if (!probe_outstanding_ || payload != std::to_string(probe_seq_)) return;  // a late, stale probe
    probe_outstanding_ = false;
    auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - probe_sent_at_);
    metrics_.redis_probe_rtt_us = static_cast<std::uint64_t>(rtt.count());
    Metrics::add(metrics_.redis_probes_ok);
    arm_probe();
}

}  // namespace wsgw
