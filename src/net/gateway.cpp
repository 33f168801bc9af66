#include "net/gateway.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "net/control_channel.hpp"
#include "net/jwks_fetcher.hpp"
#include "net/listener.hpp"
#include "net/logging.hpp"
#include "net/redis_subscriber.hpp"
#include "net/sharded_subscriptions.hpp"
#include "net/tls_context.hpp"
#include "wsgw/close_codes.hpp"
#include "wsgw/ws_frame.hpp"

namespace wsgw {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

bool sharded(const Config& c) { return c.redis_pubsub_mode == "sharded"; }

ReplayLimits replay_limits(const Config& c) {
    return {c.replay_max_entries, std::chrono::seconds(c.replay_ttl_s), std::chrono::seconds(c.replay_completed_ttl_s)};
}

std::vector<std::unique_ptr<Shard>> make_shards(const Config& c, SharedResumeWindow& resume) {
    // In sharded mode the latest state and what a client missed are read from Redis streams:
    // the per-thread cache keeps nothing.
    ReplayLimits replay = replay_limits(c);
    if (sharded(c)) replay.max_entries = 0;
    const std::size_t threads = std::max<std::size_t>(c.threads, 1);
    std::vector<std::unique_ptr<Shard>> v;
    for (std::size_t i = 0; i < threads; ++i) v.push_back(std::make_unique<Shard>(i, replay, resume));
    return v;
}

}  // namespace

Gateway::Gateway(const Config& config)
    : config_(config),
      ctx_(ConnectionCaps{config.max_connections, config.max_connections_per_user, config.max_connections_per_address},
           config.max_revoked_tokens),
      intake_(MessageLimits{config.max_message_bytes}, ctx_.metrics, ctx_.presence),
      // Unused in sharded mode, where every user's stream in Redis is the window.
      resume_(sharded(config) ? ResumeLimits{std::chrono::seconds(0), 0, 0}
                              : ResumeLimits{std::chrono::seconds(config.resume_window_s),
                                             config.resume_max_messages_per_user, config.resume_max_bytes}),
      shards_(make_shards(config, resume_)),
      signals_(shards_.front()->ioc, SIGINT, SIGTERM),
      hangup_(shards_.front()->ioc, SIGHUP),
      shutdown_timer_(shards_.front()->ioc) {
    ctx_.auth.algorithm = parse_jwt_algorithm(config.jwt_algorithm).value_or(JwtAlgorithm::hs256);
    ctx_.auth.secret = config.jwt_secret;
    ctx_.auth.public_key = config.jwt_public_key;
    ctx_.auth.user_claim = config.jwt_user_claim;
    ctx_.auth.leeway = std::chrono::seconds(config.jwt_leeway_s);
    ctx_.jwt_cookie = config.jwt_cookie;
    std::string error;  // both lists were validated when the configuration was loaded
    ctx_.origins = OriginPolicy::parse(config.allowed_origins, error).value_or(OriginPolicy{});
    ctx_.proxies = TrustedProxies::parse(config.trusted_proxies, error).value_or(TrustedProxies{});
    ctx_.send_queue = {config.send_queue_max_messages, config.send_queue_max_bytes};
    ctx_.max_inbound_frame_bytes = config.max_inbound_frame_bytes;
    ctx_.max_http_request_bytes = config.max_http_request_bytes;
    ctx_.max_pending_connections = config.max_pending_connections;
    ctx_.max_requests_per_connection = config.max_requests_per_connection;
    ctx_.metrics_on_internal_listener = config.internal_listen_address.has_value();
    ctx_.client_messages_per_second = static_cast<double>(config.client_messages_per_second);
    ctx_.client_messages_burst = static_cast<double>(config.client_messages_burst);
    ctx_.handshake_timeout = std::chrono::milliseconds(config.handshake_timeout_ms);
    ctx_.ping_interval = std::chrono::milliseconds(config.ws_ping_interval_ms);
    ctx_.resume_wait = std::chrono::milliseconds(config.resume_wait_ms);
    ctx_.demo_enabled = config.demo_enabled;
    ctx_.compression = config.compression;
    ctx_.compression_min_bytes = config.compression_min_bytes;
    if (!config.tls_cert_file.empty())
        ctx_.tls = std::make_shared<TlsContextStore>(config.tls_cert_file, config.tls_key_file);
    for (auto& shard : shards_) shard->validator = &intake_;
    set_up_auth();

    listener_ = std::make_shared<Listener>(shards_, ctx_, config.listen_address, Listener::Role::public_api);
    if (config.internal_listen_address)
        internal_listener_ =
            std::make_shared<Listener>(shards_, ctx_, *config.internal_listen_address, Listener::Role::internal);
    RedisSubscriber::Options options;
    options.endpoint = config.redis;
    options.sentinels = config.sentinels;
    options.master_name = config.redis_sentinel_master;
    options.connect_timeout = std::chrono::milliseconds(config.redis_connect_timeout_ms);
    options.reconnect_min = std::chrono::milliseconds(config.redis_reconnect_min_ms);
    options.reconnect_max = std::chrono::milliseconds(config.redis_reconnect_max_ms);
    options.probe_interval = std::chrono::milliseconds(config.redis_probe_interval_ms);
    options.probe_timeout = std::chrono::milliseconds(config.redis_probe_timeout_ms);
    options.control_channel = config.control_channel;
    options.cluster_seeds = config.cluster_seeds;
    options.cluster_refresh = std::chrono::milliseconds(config.redis_cluster_refresh_ms);
    options.instance_id = config.instance_id;
    options.patterns = !sharded(config);
    ctx_.control_enabled = !config.control_channel.empty();
    subscriber_ = std::make_unique<RedisSubscriber>(
        shards_.front()->ioc.get_executor(), std::move(options), ctx_.metrics,
        [this](std::string_view channel, std::string_view payload) { on_redis_message(channel, payload); },
        [this](std::string_view payload) { control_->on_command(payload); },
        [this](bool subscribed) { on_redis_state(subscribed); });
    if (sharded(config)) set_up_sharded();
    if (ctx_.control_enabled)
        control_ = std::make_unique<ControlChannel>(
            shards_, ctx_, *subscriber_,
            ControlChannel::Options{config.revocation_key, std::chrono::seconds(config.jwt_leeway_s),
                                    std::chrono::milliseconds(config.redis_reconnect_min_ms),
                                    std::chrono::milliseconds(config.redis_reconnect_max_ms)});
}

void Gateway::set_up_sharded() {
    ShardedSubscriptions::Options options;
    options.endpoint = config_.redis;
    options.connect_timeout = std::chrono::milliseconds(config_.redis_connect_timeout_ms);
    options.reconnect_min = std::chrono::milliseconds(config_.redis_reconnect_min_ms);
    options.reconnect_max = std::chrono::milliseconds(config_.redis_reconnect_max_ms);
    options.unsubscribe_delay = std::chrono::milliseconds(config_.redis_unsubscribe_delay_ms);
    options.open_timeout = std::chrono::milliseconds(config_.handshake_timeout_ms / 2);
    options.probe_interval = std::chrono::milliseconds(config_.redis_probe_interval_ms);
    options.probe_timeout = std::chrono::milliseconds(config_.redis_probe_timeout_ms);
    options.retention = StreamRetention{config_.resume_max_messages_per_user, std::chrono::seconds(config_.resume_window_s),
                                        config_.max_message_bytes};
    options.replay = replay_limits(config_);
    options.cluster = !config_.cluster_seeds.empty();
    ShardedSubscriptions::Routes routes;
    routes.owner = [this](std::uint16_t slot) -> std::optional<RedisEndpoint> {
        if (auto* cluster = subscriber_->cluster()) return cluster->primary_for(slot);
        return subscriber_->node();
    };
    routes.primaries = [this] {
        if (auto* cluster = subscriber_->cluster()) return cluster->primaries();
        std::vector<RedisEndpoint> one;
        if (auto node = subscriber_->node()) one.push_back(*node);
        return one;
    };
    routes.command = [this](const std::vector<std::string>& args, RedisClient::ReplyHandler handler) {
        subscriber_->command(args, std::move(handler));
    };
    ShardedSubscriptions::Sink sink;
    sink.take = [this](std::string_view channel, std::string_view message, const StreamId& id, bool live) {
        return intake_.take_from_stream(channel, message, id.text(), id.time(), live);
    };
    sink.sketch = [this](std::string_view channel, std::string_view message, const StreamId& id) {
        return intake_.sketch_from_stream(channel, message, id.text(), id.time());
    };
    sink.deliver = [this](std::shared_ptr<const Delivery> d) {
        if (batch_.empty()) asio::post(shards_.front()->ioc, [this] { hand_off_batch(); });
        batch_.push_back(std::move(d));
    };
    sink.flush = [this] { hand_off_batch(); };
    sharded_ = std::make_unique<ShardedSubscriptions>(shards_.front()->ioc.get_executor(), std::move(options),
                                                      ctx_.metrics, std::move(routes), std::move(sink));
    if (auto* cluster = subscriber_->cluster())
        cluster->on_topology_read([this] { sharded_->routes_changed(/*reconnected=*/false); });
    ctx_.user_streams = sharded_.get();
    ctx_.metrics.sharded_enabled = true;
}

void Gateway::on_redis_state(bool subscribed) {
    // The node may be another one now (a reconnect, a Sentinel failover): shard channels follow.
    if (subscribed && sharded_) asio::post(shards_.front()->ioc, [this] { sharded_->routes_changed(/*reconnected=*/true); });
    if (!control_) {
        ctx_.redis_ready = subscribed;
        return;
    }
    if (!subscribed) ctx_.redis_ready = false;
    // Ready once the deny list is loaded too. Posted: this runs inside hiredis's callback.
    asio::post(shards_.front()->ioc, [this, subscribed] {
        control_->on_subscription(subscribed, [this](bool ready) { ctx_.redis_ready = ready; });
    });
}

Gateway::~Gateway() {
    // Sessions still held by the io_contexts go after the subscriptions do: they must not
    // release their user into a room that is gone.
    ctx_.user_streams = nullptr;
}

void Gateway::run() {
    auto local = listener_->local_endpoint();
    log::info("listening", {{"address", local.address().to_string()},
                            {"port", local.port()},
                            {"threads", shards_.size()},
                            {"tls", ctx_.tls != nullptr}});
    listener_->start();
    if (internal_listener_) {
        auto internal = internal_listener_->local_endpoint();
        log::info("listening_internal", {{"address", internal.address().to_string()},
                                         {"port", internal.port()},
                                         {"endpoints", "/metrics /healthz /readyz"}});
        internal_listener_->start();
    }
    subscriber_->start();
    if (sharded_) sharded_->start();
    if (jwks_) jwks_->start();
    wait_for_signal();
    wait_for_hangup();

    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < shards_.size(); ++i) threads.emplace_back([s = shards_[i].get()] { s->ioc.run(); });
    shards_.front()->ioc.run();
    for (auto& t : threads) t.join();
    log::info("stopped");
}

void Gateway::on_redis_message(std::string_view channel_name, std::string_view payload) {
    auto d = intake_.take(channel_name, payload);
    if (!d) return;
    // Handed to the shards once the current read of Redis is done: one post per shard per
    // batch, and every frame the batch queues for one socket goes out in one write.
    if (batch_.empty()) asio::post(shards_.front()->ioc, [this] { hand_off_batch(); });
    batch_.push_back(std::move(d));
}

void Gateway::hand_off_batch() {
    if (batch_.empty()) return;
    auto batch = std::make_shared<const std::vector<std::shared_ptr<const Delivery>>>(std::move(batch_));
    batch_.clear();
    // Filed once for the process, before any shard fans it out (see SharedResumeWindow).
    const std::uint64_t filed = resume_.file(*batch, ctx_.metrics);
    for (auto& shard : shards_) {
        // dispatch runs inline on the subscriber's own shard and posts to the others.
        asio::dispatch(shard->ioc, [batch, filed, s = shard.get(), &metrics = ctx_.metrics] {
            std::size_t n = 0;
            for (const auto& delivery : *batch) n += s->deliver(delivery);
            if (filed) s->fanned_out = filed;
            if (n) Metrics::add(metrics.deliveries, n);
        });
    }
}

void Gateway::wait_for_signal() {
    signals_.async_wait([this](boost::system::error_code ec, int signo) {
        if (ec) return;
        if (shutting_down_) {
            log::warn("shutdown_forced", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
            std::_Exit(1);
        }
        begin_shutdown(signo == SIGTERM ? "SIGTERM" : "SIGINT");
        wait_for_signal();  // a second signal ends the process at once
    });
}

void Gateway::wait_for_hangup() {
    hangup_.async_wait([this](boost::system::error_code ec, int) {
        if (ec) return;
        if (ctx_.tls) {
            std::string error;
            if (ctx_.tls->reload(error)) {
                Metrics::add(ctx_.metrics.tls_reloads_ok);
                log::info("tls_reloaded", {{"cert", config_.tls_cert_file}});
            } else {
                // New sockets keep the certificate that was loaded last.
                Metrics::add(ctx_.metrics.tls_reloads_failed);
                log::error("tls_reload_failed", {{"error", error}});
            }
        }
        reload_auth();
        wait_for_hangup();
    });
}

namespace {

std::optional<std::string> read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

void Gateway::set_up_auth() {
    auto auth = std::make_shared<AuthConfig>(ctx_.auth);
    auth->previous_secret = config_.jwt_secret_previous;
    auth->audience = config_.jwt_audience;
    auth->issuer = config_.jwt_issuer;
    ctx_.auth_state.replace(std::move(auth));
    if (!config_.jwks_url) return;

    ctx_.jwks_enabled = true;
    JwksFetcher::Options options;
    options.url = *config_.jwks_url;
    options.url_text = config_.jwt_jwks_url;
    options.refresh.interval = std::chrono::seconds(config_.jwt_jwks_refresh_s);
    // Runs on the first shard's thread, as the SIGHUP handler does: the two never replace the
    // material at the same time, so neither undoes the other's change.
    jwks_ = std::make_unique<JwksFetcher>(shards_.front()->ioc.get_executor(), std::move(options), ctx_.metrics,
                                          [this](std::shared_ptr<const KeySet> keys) {
                                              auto next = std::make_shared<AuthConfig>(*ctx_.auth_state.current());
                                              next->jwks = std::move(keys);
                                              ctx_.auth_state.replace(std::move(next));
                                              ctx_.jwks_loaded = true;
                                          });
    ctx_.auth_state.on_unknown_key([fetcher = jwks_.get()] { fetcher->key_missing(); });
}

void Gateway::reload_auth() {
    if (jwks_) {
        jwks_->refetch_now();
        log::info("jwks_refetch_requested", {{"url", config_.jwt_jwks_url}});
    }
    const bool has_files = !config_.jwt_secret_file.empty() || !config_.jwt_secret_previous_file.empty() ||
                           (!config_.jwks_url && config_.jwt_algorithm != "HS256" && !config_.jwt_public_key_file.empty());
    if (!has_files) {
        if (!ctx_.tls && !jwks_) log::info("sighup_ignored", {{"detail", "no TLS certificate or key files configured"}});
        return;
    }
    Config fresh = config_;
    auto errors = load_auth_files(fresh, read_whole_file);
    // A key file replaced by something that is not a key would refuse every client: checked here,
    // where the old key can still be kept.
    const auto algorithm = parse_jwt_algorithm(config_.jwt_algorithm).value_or(JwtAlgorithm::hs256);
    if (errors.empty() && algorithm != JwtAlgorithm::hs256 && !config_.jwks_url)
        if (auto why = public_key_error(fresh.jwt_public_key, algorithm))
            errors.push_back("jwt_public_key_file: " + config_.jwt_public_key_file + ": " + *why);
    if (!errors.empty()) {
        // The material in use stays: a half-written secret file must not lock every client out.
        Metrics::add(ctx_.metrics.auth_reloads_failed);
        for (const auto& e : errors) log::error("auth_reload_failed", {{"error", e}});
        return;
    }
    auto next = std::make_shared<AuthConfig>(*ctx_.auth_state.current());
    next->secret = fresh.jwt_secret;
    next->previous_secret = fresh.jwt_secret_previous;
    next->public_key = fresh.jwt_public_key;
    ctx_.auth_state.replace(std::move(next));
    Metrics::add(ctx_.metrics.auth_reloads_ok);
    log::info("auth_reloaded", {{"secret_file", config_.jwt_secret_file},
                                {"previous_secret_file", config_.jwt_secret_previous_file},
                                {"public_key_file", config_.jwt_public_key_file},
                                {"previous_secret", !fresh.jwt_secret_previous.empty()}});
}

void Gateway::begin_shutdown(const char* cause) {
    shutting_down_ = true;
    // Not ready at once and no new sockets (upgrades get 503), while HTTP still answers so that
    // probes see /readyz 503; open sockets keep receiving for the grace period.
    ctx_.draining = true;
    log::info("shutdown_started", {{"cause", cause},
                                   {"connections", ctx_.metrics.connections_open.load()},
                                   {"grace_ms", config_.shutdown_grace_ms}});
    shutdown_timer_.expires_after(std::chrono::milliseconds(config_.shutdown_grace_ms));
    shutdown_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) close_sessions();
    });
}

void Gateway::close_sessions() {
    listener_->stop();
    if (internal_listener_) internal_listener_->stop();
    subscriber_->stop();
    if (sharded_) sharded_->stop();
    hand_off_batch();  // messages read before the signal go out ahead of the closes
    ctx_.redis_ready = false;
    // Each socket writes what is already queued for it, then closes with 1001. Messages that
    // were on their way to other shards were posted before these closes, so they go first.
    for (auto& shard : shards_) {
        asio::post(shard->ioc, [s = shard.get()] {
            std::vector<Session*> sessions;
            s->registry.for_each([&](Session* session) { sessions.push_back(session); });
            for (auto* session : sessions)
                session->close(close_code::going_away, "server shutting down", DisconnectReason::shutdown, true);
        });
    }
    shutdown_deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.shutdown_timeout_ms);
    await_sessions_closed();
}

void Gateway::await_sessions_closed() {
    if (ctx_.metrics.connections_open.load() <= 0 || std::chrono::steady_clock::now() >= shutdown_deadline_) {
        if (ctx_.metrics.connections_open.load() > 0)
            log::warn("shutdown_timeout", {{"connections", ctx_.metrics.connections_open.load()}});
        stop_all();
        return;
    }
    shutdown_timer_.expires_after(20ms);
    shutdown_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) await_sessions_closed();
    });
}

void Gateway::stop_all() {
    if (jwks_) jwks_->stop();
    signals_.cancel();
    hangup_.cancel();
    for (auto& shard : shards_) {
        shard->work.reset();
        shard->ioc.stop();
    }
}

}  // namespace wsgw
