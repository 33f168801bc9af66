#include "net/redis_subscriber.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/post.hpp>

#include "net/logging.hpp"
#include "net/redis_adapter.hpp"
#include "wsgw/backoff.hpp"
#include "wsgw/channel.hpp"

namespace wsgw {

namespace asio = boost::asio;

namespace {
std::string endpoint_text(const RedisEndpoint& ep) {
    return ep.unix_socket ? "unix://" + ep.path : ep.host + ":" + std::to_string(ep.port);
}
std::string_view reply_text(const redisReply* r) { return {r->str, static_cast<std::size_t>(r->len)}; }
}  // namespace

RedisSubscriber::RedisSubscriber(asio::any_io_executor executor, Options options, Metrics& metrics,
                                 OnMessage on_message, OnState on_state)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      metrics_(metrics),
      on_message_(std::move(on_message)),
      on_state_(std::move(on_state)),
      retry_timer_(executor_),
      deadline_timer_(executor_),
      rng_(std::random_device{}()) {}

RedisSubscriber::~RedisSubscriber() {
    if (ac_) {
        auto* c = ac_;
        ac_ = nullptr;
        redisAsyncFree(c);
    }
}

void RedisSubscriber::start() {
    stopped_ = false;
    connect();
}

void RedisSubscriber::stop() {
    stopped_ = true;
    retry_timer_.cancel();
    deadline_timer_.cancel();
    if (ac_) {
        auto* c = ac_;
        ac_ = nullptr;
        ++generation_;
        redisAsyncFree(c);  // callbacks see c != ac_ and stay quiet
    }
    set_subscribed(false);
}

void RedisSubscriber::connect() {
    if (stopped_) return;
    const auto& ep = options_.endpoint;
    redisAsyncContext* c = ep.unix_socket ? redisAsyncConnectUnix(ep.path.c_str())
                                          : redisAsyncConnect(ep.host.c_str(), ep.port);
    if (!c) {
        log::error("redis_connect_failed", {{"redis", endpoint_text(ep)}, {"cause", "out of memory"}});
        schedule_reconnect();
        return;
    }
    if (c->err) {
        log::warn("redis_connect_failed", {{"redis", endpoint_text(ep)}, {"cause", std::string_view(c->errstr)}});
        redisAsyncFree(c);
        schedule_reconnect();
        return;
    }
    if (!attach_asio(c, executor_)) {
        log::error("redis_connect_failed", {{"redis", endpoint_text(ep)}, {"cause", "cannot watch the socket"}});
        redisAsyncFree(c);
        schedule_reconnect();
        return;
    }
    ac_ = c;
    ++generation_;
    patterns_confirmed_ = 0;
    c->data = this;
    redisAsyncSetConnectCallback(c, &RedisSubscriber::on_connect);
    redisAsyncSetDisconnectCallback(c, &RedisSubscriber::on_disconnect);

    // Commands queue until the connection is up; the whole sequence must finish within the
    // connect timeout or the attempt counts as failed.
    if (!ep.password.empty()) {
        if (ep.username.empty())
            redisAsyncCommand(c, &RedisSubscriber::on_auth_reply, this, "AUTH %b", ep.password.data(), ep.password.size());
        else
            redisAsyncCommand(c, &RedisSubscriber::on_auth_reply, this, "AUTH %b %b", ep.username.data(),
                              ep.username.size(), ep.password.data(), ep.password.size());
    }
    std::string user_pattern(kUserPattern), project_pattern(kProjectPattern);
    redisAsyncCommand(c, &RedisSubscriber::on_pubsub_reply, this, "PSUBSCRIBE %s %s", user_pattern.c_str(),
                      project_pattern.c_str());

    deadline_timer_.expires_after(options_.connect_timeout);
    deadline_timer_.async_wait([this, gen = generation_](const boost::system::error_code& ec) {
        if (ec || gen != generation_ || subscribed_ || !ac_) return;
        lost("timed out connecting and subscribing", /*hiredis_frees=*/false);
    });
}

void RedisSubscriber::lost(std::string_view cause, bool hiredis_frees) {
    auto* c = ac_;
    if (!c) return;
    ac_ = nullptr;
    ++generation_;
    deadline_timer_.cancel();
    bool was_connected = metrics_.redis_connected.exchange(0) != 0;
    if (was_connected) Metrics::add(metrics_.redis_disconnects);
    log::warn("redis_disconnected", {{"redis", endpoint_text(options_.endpoint)}, {"cause", cause}});
    set_subscribed(false);
    if (!hiredis_frees) redisAsyncFree(c);
    schedule_reconnect();
}

void RedisSubscriber::drop_later(std::string cause) {
    asio::post(executor_, [this, gen = generation_, cause = std::move(cause)] {
        if (gen == generation_) lost(cause, /*hiredis_frees=*/false);
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

void RedisSubscriber::on_connect(const redisAsyncContext* c, int status) {
    auto* self = static_cast<RedisSubscriber*>(c->data);
    if (!self || c != self->ac_) return;
    if (status != REDIS_OK) {
        // hiredis frees the context right after this callback.
        self->lost(c->errstr ? std::string_view(c->errstr) : "connect failed", /*hiredis_frees=*/true);
        return;
    }
    self->metrics_.redis_connected = 1;
    Metrics::add(self->metrics_.redis_connects);
    log::info("redis_connected", {{"redis", endpoint_text(self->options_.endpoint)}});
}

void RedisSubscriber::on_disconnect(const redisAsyncContext* c, int /*status*/) {
    auto* self = static_cast<RedisSubscriber*>(c->data);
    if (!self || c != self->ac_) return;
    self->lost(c->errstr && c->err ? std::string_view(c->errstr) : "connection closed", /*hiredis_frees=*/true);
}

void RedisSubscriber::on_auth_reply(redisAsyncContext* c, void* r, void* privdata) {
    auto* self = static_cast<RedisSubscriber*>(privdata);
    auto* reply = static_cast<redisReply*>(r);
    if (!reply || c != self->ac_) return;  // a lost connection is reported by the pub/sub callback
    if (reply->type == REDIS_REPLY_ERROR) self->drop_later("AUTH refused: " + std::string(reply_text(reply)));
}

void RedisSubscriber::on_pubsub_reply(redisAsyncContext* c, void* r, void* privdata) {
    auto* self = static_cast<RedisSubscriber*>(privdata);
    if (c != self->ac_) return;
    auto* reply = static_cast<redisReply*>(r);
    if (!reply) {
        // hiredis is freeing the context (the peer closed or a read failed); it calls this for
        // each pending subscription before the disconnect callback.
        self->lost(c->err ? std::string_view(c->errstr) : "connection closed", /*hiredis_frees=*/true);
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        self->drop_later("PSUBSCRIBE refused: " + std::string(reply_text(reply)));
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    auto kind = reply->element[0];
    if (kind->type != REDIS_REPLY_STRING) return;
    auto name = reply_text(kind);
    if (name == "pmessage" && reply->elements == 4 && reply->element[2]->type == REDIS_REPLY_STRING &&
        reply->element[3]->type == REDIS_REPLY_STRING) {
        self->on_message_(reply_text(reply->element[2]), reply_text(reply->element[3]));
    } else if (name == "psubscribe") {
        if (++self->patterns_confirmed_ == 2) {
            self->deadline_timer_.cancel();
            self->attempt_ = 0;
            log::info("redis_subscribed", {{"patterns", std::string(kUserPattern) + " " + std::string(kProjectPattern)}});
            self->set_subscribed(true);
        }
    }
}

}  // namespace wsgw
