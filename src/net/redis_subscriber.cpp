#include "net/redis_subscriber.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/post.hpp>

#include <algorithm>

#include "net/logging.hpp"
#include "wsgw/backoff.hpp"
#include "wsgw/channel.hpp"

namespace wsgw {

namespace asio = boost::asio;

namespace {

std::string_view text(const redisReply* r) { return {r->str, static_cast<std::size_t>(r->len)}; }

bool is_string(const redisReply* r) { return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS); }

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
      query_(executor_, nullptr),
      keyed_(executor_, [](const std::string& cause) { log::debug("redis_keyed_connection_lost", {{"cause", cause}}); }),
      sentinel_watch_(executor_, [this](const std::string& cause) { on_sentinel_watch_lost(cause); }),
      retry_timer_(executor_),
      rewatch_timer_(executor_),
      probe_timer_(executor_),
      refresh_timer_(executor_),
      rng_(std::random_device{}()) {
    probe_channel_ = std::string(kProbeChannelPrefix) + random_instance_id(rng_);
    if (options_.instance_id.empty()) options_.instance_id = random_instance_id(rng_);
}

RedisSubscriber::~RedisSubscriber() = default;

void RedisSubscriber::start() {
    stopped_ = false;
    connect();
}

void RedisSubscriber::stop() {
    stopped_ = true;
    retry_timer_.cancel();
    rewatch_timer_.cancel();
    probe_timer_.cancel();
    refresh_timer_.cancel();
    ++discovery_generation_;
    subscriber_.close();
    commands_.close();
    keyed_.close();
    query_.close();
    sentinel_watch_.close();
    set_subscribed(false);
}

void RedisSubscriber::connect() {
    if (stopped_) return;
    Metrics::add(metrics_.redis_connect_attempts);
    if (cluster()) return discover(/*refresh=*/false);
    if (options_.sentinels.empty()) return connect_to(options_.endpoint);
    resolve_master(0);
}

namespace {

bool same_node(const RedisEndpoint& a, const RedisEndpoint& b) { return a.host == b.host && a.port == b.port; }

}  // namespace

void RedisSubscriber::discover(bool refresh) {
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(avoid_, [&](const auto& a) { return a.second <= now; });
    // The known nodes first (this instance's own ranking, so a fleet does not ask one node),
    // then the seeds; the node a refresh is about, and nodes that failed lately, last.
    std::vector<RedisEndpoint> first, last;
    auto consider = [&](const std::string& host, std::uint16_t port) {
        RedisEndpoint ep = options_.endpoint;
        ep.unix_socket = false;
        ep.host = host;
        ep.port = port;
        bool later = (refresh && same_node(ep, current_)) || avoided(RedisClient::endpoint_text(ep), now);
        auto& list = later ? last : first;
        for (const auto* l : {&first, &last})
            for (const auto& known : *l)
                if (same_node(known, ep)) return;
        list.push_back(std::move(ep));
    };
    if (topology_)
        for (const auto* node : rank_nodes(*topology_, options_.instance_id)) consider(node->host, node->port);
    for (const auto& seed : options_.cluster_seeds) consider(seed.host, seed.port);
    discovery_ = std::move(first);
    discovery_.insert(discovery_.end(), last.begin(), last.end());
    query_topology(0, refresh, ++discovery_generation_);
}

void RedisSubscriber::query_topology(std::size_t index, bool refresh, std::uint64_t generation) {
    if (stopped_ || generation != discovery_generation_) return;
    if (index >= discovery_.size()) {
        Metrics::add(metrics_.redis_topology_refreshes_failed);
        log::warn("redis_cluster_unreachable", {{"nodes_asked", discovery_.size()}, {"cause", "no node answered CLUSTER NODES"}});
        return refresh ? arm_refresh(options_.cluster_refresh) : schedule_reconnect();
    }
    const auto& node = discovery_[index];
    std::string error;
    if (!query_.connect(node, options_.connect_timeout, error)) {
        log::warn("redis_cluster_topology_unreadable", {{"node", RedisClient::endpoint_text(node)}, {"cause", error}});
        return query_topology(index + 1, refresh, generation);
    }
    query_.command({"CLUSTER", "NODES"}, [this, index, refresh, generation](redisReply* r) {
        std::optional<ClusterTopology> topology;
        std::string error;
        if (!r) error = "connection lost";
        else if (r->type == REDIS_REPLY_ERROR) error = std::string(text(r));
        else if (r->type != REDIS_REPLY_STRING) error = "unexpected reply to CLUSTER NODES";
        else if ((topology = parse_cluster_nodes(text(r), error)) && topology->healthy_nodes() == 0) {
            topology.reset();
            error = "no healthy node listed";
        }
        // Leave hiredis's call stack before closing or reconnecting anything.
        asio::post(executor_, [this, index, refresh, generation, topology = std::move(topology), error]() mutable {
            if (stopped_ || generation != discovery_generation_) return;  // a later read owns query_
            query_.close();
            if (!topology) {
                log::warn("redis_cluster_topology_unreadable",
                          {{"node", RedisClient::endpoint_text(discovery_[index])}, {"cause", error}});
                return query_topology(index + 1, refresh, generation);
            }
            on_topology(std::move(*topology), refresh);
        });
    });
}

void RedisSubscriber::on_topology(ClusterTopology topology, bool refresh) {
    Metrics::add(metrics_.redis_topology_refreshes_ok);
    metrics_.redis_cluster_nodes = topology.healthy_nodes();
    if (moved_ && !reconcile(topology, *moved_)) moved_.reset();
    topology_ = std::move(topology);
    if (!refresh) return choose_node();
    const auto* node = topology_->find(current_.host, current_.port);
    if (!node || !node->healthy) {
        log::warn("redis_cluster_node_left", {{"node", RedisClient::endpoint_text(current_)},
                                              {"state", node ? "not healthy" : "not a member"}});
        subscriber_.fail(std::string("node is ") + (node ? "no longer healthy" : "no longer a member") +
                         " in the cluster's topology");
        return;
    }
    arm_refresh(options_.cluster_refresh);
}

bool RedisSubscriber::avoided(const std::string& address, std::chrono::steady_clock::time_point now) const {
    return std::any_of(avoid_.begin(), avoid_.end(),
                       [&](const auto& a) { return a.first == address && a.second > now; });
}

void RedisSubscriber::choose_node() {
    const auto now = std::chrono::steady_clock::now();
    auto ranked = rank_nodes(*topology_, options_.instance_id);
    if (ranked.empty()) return schedule_reconnect();  // the reader checked; a guard all the same
    std::size_t rank = 0;
    while (rank < ranked.size() && avoided(ranked[rank]->address(), now)) ++rank;
    if (rank == ranked.size()) rank = 0;  // every node failed lately: the first choice again
    const auto& node = *ranked[rank];
    log::info("redis_cluster_node_chosen", {{"node", node.address()},
                                            {"role", node.primary ? "primary" : "replica"},
                                            {"rank", rank},
                                            {"healthy_nodes", ranked.size()},
                                            {"instance_id", options_.instance_id}});
    RedisEndpoint ep = options_.endpoint;
    ep.unix_socket = false;
    ep.host = node.host;
    ep.port = node.port;
    connect_to(ep);
}

void RedisSubscriber::on_moved(std::uint16_t slot, const RedisEndpoint& to) {
    moved_ = SlotMove{slot, to.host, to.port};
    if (topology_ && !reconcile(*topology_, *moved_)) moved_.reset();
    arm_refresh(std::chrono::milliseconds(0));
}

void RedisSubscriber::arm_refresh(std::chrono::milliseconds after) {
    if (!cluster() || stopped_ || !subscribed_) return;
    refresh_timer_.expires_after(after);
    refresh_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec && subscribed_ && !stopped_) discover(/*refresh=*/true);
    });
}

void RedisSubscriber::resolve_master(std::size_t index, bool rewatch) {
    if (stopped_) return;
    if (index >= options_.sentinels.size()) {
        log::warn("redis_sentinel_unresolved", {{"master", options_.master_name}, {"cause", "no sentinel answered"}});
        return rewatch ? schedule_rewatch() : schedule_reconnect();
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
                RedisEndpoint ep = options_.endpoint;  // credentials and db of the data nodes
                ep.unix_socket = false;
                ep.host = std::string(text(r->element[0]));
                try {
                    ep.port = static_cast<std::uint16_t>(std::stoi(std::string(text(r->element[1]))));
                    master = ep;
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
                if (!rewatch) return connect_to(*master);
                // While the watch was down a +switch-master may have gone unheard: a master that
                // moved meanwhile is followed now.
                if (master->host != current_.host || master->port != current_.port) {
                    Metrics::add(metrics_.redis_sentinel_switches);
                    log::warn("redis_sentinel_switch", {{"master", options_.master_name},
                                                        {"notice", "master moved while the watch was down"}});
                    subscriber_.fail("sentinel reports another master");
                }
            });
        });
}

void RedisSubscriber::watch_sentinel(const RedisEndpoint& sentinel) {
    std::string error;
    if (!sentinel_watch_.connect(sentinel, options_.connect_timeout, error)) {
        log::warn("redis_sentinel_watch_lost", {{"sentinel", RedisClient::endpoint_text(sentinel)}, {"cause", error}});
        return schedule_rewatch();
    }
    sentinel_watch_.command(
        {"SUBSCRIBE", "+switch-master"},
        [this, sentinel](redisReply* r) {
            if (!r) return;
            if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && is_string(r->element[0]) &&
                text(r->element[0]) == "subscribe") {
                sentinel_watch_.mark_ready();
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
            subscriber_.fail("sentinel switched the master");
        },
        /*subscription=*/true);
}

void RedisSubscriber::on_sentinel_watch_lost(const std::string& cause) {
    log::warn("redis_sentinel_watch_lost", {{"cause", cause}});
    // Not from inside hiredis: the next attempt closes and reconnects clients.
    asio::post(executor_, [this] { schedule_rewatch(); });
}

void RedisSubscriber::schedule_rewatch() {
    // Only a subscription that stands needs a watch; a reconnect sets one up anyway.
    if (stopped_ || !subscribed_) return;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto delay = backoff_delay(watch_attempt_++, options_.reconnect_min, options_.reconnect_max, unit(rng_));
    rewatch_timer_.expires_after(delay);
    rewatch_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec && subscribed_ && !stopped_) resolve_master(0, /*rewatch=*/true);
    });
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
    subscriber_.command({"PSUBSCRIBE", std::string(kUserPattern), std::string(kProjectPattern)},
                        [this](redisReply* r) { on_pubsub(r); }, /*subscription=*/true);
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
    } else if (kind == "message" && is_string(reply->element[2])) {
        if (on_control_) on_control_(text(reply->element[2]));
    } else if ((kind == "psubscribe" || kind == "subscribe") &&
               ++subscriptions_confirmed_ == (options_.control_channel.empty() ? 2 : 3)) {
        subscriber_.mark_ready();
        attempt_ = 0;
        metrics_.redis_connected = 1;
        Metrics::add(metrics_.redis_connects);
        const auto node = RedisClient::endpoint_text(current_);
        if (cluster() && !last_node_.empty() && last_node_ != node) {
            Metrics::add(metrics_.redis_node_switches);
            log::warn("redis_cluster_node_switch", {{"from", last_node_}, {"to", node}});
        }
        last_node_ = node;
        metrics_.set_redis_node(node);
        log::info("redis_subscribed", {{"redis", RedisClient::endpoint_text(current_)},
                                       {"patterns", std::string(kUserPattern) + " " + std::string(kProjectPattern)},
                                       {"control_channel", options_.control_channel}});
        set_subscribed(true);
        arm_probe();
        arm_refresh(options_.cluster_refresh);
        // The watch set up while connecting may have failed before there was a subscription to
        // keep watching for.
        if (!options_.sentinels.empty() && !sentinel_watch_.active()) schedule_rewatch();
    }
}

void RedisSubscriber::on_subscriber_lost(const std::string& cause) {
    probe_timer_.cancel();
    refresh_timer_.cancel();
    probe_outstanding_ = false;
    metrics_.set_redis_node("");
    if (cluster())
        avoid_.emplace_back(RedisClient::endpoint_text(current_), std::chrono::steady_clock::now() + kAvoidFailedNode);
    bool was_connected = metrics_.redis_connected.exchange(0) != 0;
    if (was_connected) Metrics::add(metrics_.redis_disconnects);
    log::warn("redis_disconnected", {{"redis", RedisClient::endpoint_text(current_)}, {"cause", cause}});
    set_subscribed(false);
    // Not from inside hiredis: the probe connection may be the one reporting.
    asio::post(executor_, [this] {
        commands_.close();
        keyed_.close();  // the next command goes to its key's primary as the next topology says
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
    if (cluster() && !stopped_) return keyed_command(args, std::move(handler), std::nullopt, false);
    if (stopped_ || !ensure_commands_connection()) {
        if (handler) handler(nullptr);
        return;
    }
    commands_.command(args, std::move(handler));
}

void RedisSubscriber::keyed_command(std::vector<std::string> args, RedisClient::ReplyHandler handler,
                                    std::optional<RedisEndpoint> target, bool asking) {
    const bool redirected = target.has_value();
    if (!target) {
        target = current_;
        const auto* owner = topology_ && args.size() > 1 ? topology_->slot_owner(key_slot(args[1])) : nullptr;
        if (owner) {
            target = options_.endpoint;
            target->unix_socket = false;
            target->host = owner->host;
            target->port = owner->port;
        }
    }
    if (!keyed_.active() || !same_node(*target, keyed_endpoint_)) {
        std::string error;
        if (!keyed_.connect(*target, options_.connect_timeout, error)) {
            log::warn("redis_commands_unavailable", {{"redis", RedisClient::endpoint_text(*target)}, {"cause", error}});
            if (handler) handler(nullptr);
            return;
        }
        keyed_.mark_ready();  // each command has its own deadline instead
        keyed_endpoint_ = *target;
        ++keyed_generation_;
    }
    // A primary that stopped answering must not leave the caller waiting for ever.
    auto deadline = std::make_shared<asio::steady_timer>(executor_, options_.connect_timeout);
    deadline->async_wait([this, generation = keyed_generation_](const boost::system::error_code& ec) {
        if (!ec && generation == keyed_generation_) keyed_.fail("no reply within the connect timeout");
    });
    if (asking) keyed_.command({"ASKING"}, nullptr);
    auto sent = args;
    keyed_.command(sent, [this, args = std::move(args), handler = std::move(handler), deadline,
                          redirected](redisReply* r) mutable {
        deadline->cancel();
        if (r && r->type == REDIS_REPLY_ERROR && !redirected) {
            if (auto to = parse_redirect(text(r))) {
                // The topology was stale (a failover, a resharding): once to where the cluster says.
                RedisEndpoint ep = options_.endpoint;
                ep.unix_socket = false;
                ep.host = to->first.empty() ? keyed_endpoint_.host : to->first;
                ep.port = to->second;
                bool ask = text(r).starts_with("ASK");
                log::info("redis_cluster_redirect", {{"to", RedisClient::endpoint_text(ep)}, {"kind", ask ? "ASK" : "MOVED"}});
                // An ASK is a migration in progress: the slot's owner has not changed yet.
                if (!ask) on_moved(key_slot(args[1]), ep);
                asio::post(executor_, [this, args = std::move(args), handler = std::move(handler), ep, ask]() mutable {
                    keyed_command(std::move(args), std::move(handler), ep, ask);
                });
                return;
            }
        }
        if (handler) handler(r);
    });
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
