#include "net/sentinel_watch.hpp"

#include <boost/asio/post.hpp>
#include <optional>

#include "net/logging.hpp"
#include "net/redis_reply.hpp"
#include "wsgw/backoff.hpp"

namespace wsgw {

namespace asio = boost::asio;

SentinelWatch::SentinelWatch(asio::any_io_executor executor, Options options, Metrics& metrics, RedisNodeEvents events)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      metrics_(metrics),
      events_(std::move(events)),
      query_(executor_, nullptr),
      watch_(executor_, [this](const std::string& cause) { on_watch_lost(cause); }),
      rewatch_timer_(executor_),
      rng_(std::random_device{}()) {}

void SentinelWatch::start() { stopped_ = false; }

void SentinelWatch::stop() {
    stopped_ = true;
    subscribed_ = false;
    rewatch_timer_.cancel();
    query_.close();
    watch_.close();
}

void SentinelWatch::resolve() { resolve_master(0, /*rewatch=*/false); }

void SentinelWatch::subscription_up() {
    subscribed_ = true;
    // The watch set up while connecting may have failed before there was a subscription to
    // keep watching for.
    if (!watch_.active()) schedule_rewatch();
}

void SentinelWatch::subscription_lost() { subscribed_ = false; }

void SentinelWatch::resolve_master(std::size_t index, bool rewatch) {
    if (stopped_) return;
    if (index >= options_.sentinels.size()) {
        log::warn("redis_sentinel_unresolved", {{"master", options_.master_name}, {"cause", "no sentinel answered"}});
        if (rewatch) return schedule_rewatch();
        return events_.not_found();
    }
    const auto& sentinel = options_.sentinels[index];
    std::string error;
    if (!query_.connect(sentinel, options_.connect_timeout, error)) {
        log::warn("redis_sentinel_unreachable", {{"sentinel", RedisClient::endpoint_text(sentinel)}, {"cause", error}});
        return resolve_master(index + 1, rewatch);
    }
    query_.command(
        {"SENTINEL", "get-master-addr-by-name", options_.master_name}, [this, index, rewatch](redisReply* r) {
            const auto& s = options_.sentinels[index];
            bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && is_string(r->element[0]) &&
                      is_string(r->element[1]);
            std::optional<RedisEndpoint> master;
            if (ok) {
                try {
                    // The credentials and db of the data nodes, at the address the sentinel names.
                    master = with_address(options_.endpoint, std::string(text(r->element[0])),
                                          static_cast<std::uint16_t>(std::stoi(std::string(text(r->element[1])))));
                } catch (...) {
                }
            }
            // Leave hiredis's call stack before closing or reconnecting anything.
            asio::post(executor_, [this, index, master, s, rewatch] {
                // A subscription lost meanwhile has started a resolution of its own, which now
                // owns the query connection.
                if (rewatch && !subscribed_) return;
                query_.close();
                if (stopped_) return;
                if (!master) {
                    log::warn("redis_sentinel_unresolved",
                              {{"sentinel", RedisClient::endpoint_text(s)}, {"master", options_.master_name}});
                    return resolve_master(index + 1, rewatch);
                }
                log::info("redis_sentinel_resolved",
                          {{"sentinel", RedisClient::endpoint_text(s)}, {"master", RedisClient::endpoint_text(*master)}});
                watch_sentinel(s);
                if (!rewatch) {
                    master_ = *master;
                    return events_.found(*master);
                }
                // While the watch was down a +switch-master may have gone unheard: a master that
                // moved meanwhile is followed now.
                if (!same_address(*master, master_)) {
                    Metrics::add(metrics_.redis_sentinel_switches);
                    log::warn("redis_sentinel_switch", {{"master", options_.master_name},
                                                        {"notice", "master moved while the watch was down"}});
                    events_.moved("sentinel reports another master");
                }
            });
        });
}

void SentinelWatch::watch_sentinel(const RedisEndpoint& sentinel) {
    std::string error;
    if (!watch_.connect(sentinel, options_.connect_timeout, error)) {
        log::warn("redis_sentinel_watch_lost", {{"sentinel", RedisClient::endpoint_text(sentinel)}, {"cause", error}});
        return schedule_rewatch();
    }
    watch_.command(
        {"SUBSCRIBE", "+switch-master"},
        [this, sentinel](redisReply* r) {
            if (!r) return;
            if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && is_string(r->element[0]) &&
                text(r->element[0]) == "subscribe") {
                watch_.mark_ready();
                watch_attempt_ = 0;
                log::info("redis_sentinel_watching", {{"sentinel", RedisClient::endpoint_text(sentinel)}});
                return;
            }
            if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || !is_string(r->element[0]) ||
                text(r->element[0]) != "message" || !is_string(r->element[2]))
                return;
            // "<master-name> <old-ip> <old-port> <new-ip> <new-port>"
            std::string_view notice = text(r->element[2]);
            if (notice.substr(0, notice.find(' ')) != options_.master_name) return;
            Metrics::add(metrics_.redis_sentinel_switches);
            log::warn("redis_sentinel_switch", {{"master", options_.master_name}, {"notice", notice}});
            events_.moved("sentinel switched the master");
        },
        /*subscription=*/true);
}

void SentinelWatch::on_watch_lost(const std::string& cause) {
    log::warn("redis_sentinel_watch_lost", {{"cause", cause}});
    // Not from inside hiredis: the next attempt closes and reconnects clients.
    asio::post(executor_, [this] { schedule_rewatch(); });
}

void SentinelWatch::schedule_rewatch() {
    // Only a subscription that stands needs a watch; a reconnect sets one up anyway.
    if (stopped_ || !subscribed_) return;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto delay = backoff_delay(watch_attempt_++, options_.rewatch_min, options_.rewatch_max, unit(rng_));
    rewatch_timer_.expires_after(delay);
    rewatch_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec && subscribed_ && !stopped_) resolve_master(0, /*rewatch=*/true);
    });
}

}  // namespace wsgw
