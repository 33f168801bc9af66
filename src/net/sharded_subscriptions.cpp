#include "net/sharded_subscriptions.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <set>
#include <utility>
#include <boost/asio/post.hpp>

#include "net/logging.hpp"
#include "net/redis_reply.hpp"
#include "wsgw/backoff.hpp"
#include "wsgw/channel.hpp"
#include "wsgw/cluster_topology.hpp"

namespace wsgw {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kChannelsPerCommand = 256;
constexpr auto kTick = std::chrono::milliseconds(200);

}  // namespace

ShardedSubscriptions::ShardedSubscriptions(asio::any_io_executor executor, Options options, Metrics& metrics,
                                           Routes routes, Sink sink)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      metrics_(metrics),
      routes_(std::move(routes)),
      sink_(std::move(sink)),
      library_(executor_, publish_library_source(options_.retention), max_reply_bytes(), options_.connect_timeout,
               metrics_),
      retry_timer_(executor_),
      tick_timer_(executor_),
      rng_(std::random_device{}()) {}

ShardedSubscriptions::~ShardedSubscriptions() { stop(); }

void ShardedSubscriptions::start() {
    stopped_ = false;
    tick();
}

void ShardedSubscriptions::stop() {
    stopped_ = true;
    retry_timer_.cancel();
    tick_timer_.cancel();
    for (auto& [key, node] : nodes_)
        if (node.link) node.link->close();
    nodes_.clear();
    library_.stop();
    metrics_.shard_subscriptions = 0;
}

// ---------------------------------------------------------------------------------------------
// Interest

void ShardedSubscriptions::open(std::string user, std::string last_id, std::string project_filter,
                                std::function<void(StreamBacklog)> done) {
    asio::post(executor_, [this, user = std::move(user),
                           waiter = Waiter{std::move(last_id), std::move(project_filter), std::move(done),
                                           Clock::now() + options_.open_timeout}]() mutable {
        open_here(std::move(user), std::move(waiter));
    });
}

void ShardedSubscriptions::release(std::string user) {
    asio::post(executor_, [this, user = std::move(user)] { release_here(user); });
}

void ShardedSubscriptions::open_here(std::string user, Waiter waiter) {
    if (stopped_) return waiter.done(StreamBacklog{});
    auto& u = users_[user];
    ++u.sockets;
    if (u.sub == Sub::live) return read_for(user, std::move(waiter));
    u.waiters.push_back(std::move(waiter));
    if (u.sub == Sub::none) subscribe(user, u);
}

void ShardedSubscriptions::release_here(const std::string& user) {
    auto it = users_.find(user);
    if (it == users_.end() || it->second.sockets == 0) return;
    if (--it->second.sockets == 0) it->second.linger_until = Clock::now() + options_.unsubscribe_delay;
}

// ---------------------------------------------------------------------------------------------
// Subscribing

void ShardedSubscriptions::subscribe(const std::string& user, User& u) {
    auto owner = routes_.owner(key_slot(user));
    if (!owner) return arm_retry();  // no node known for the slot yet
    auto& node = node_for(*owner);
    u.node = RedisClient::endpoint_text(*owner);
    u.sub = Sub::queued;
    node.subscribe.push_back(user);
    schedule_flush();
}

void ShardedSubscriptions::unsubscribe(const std::string& user, User& u) {
    auto it = nodes_.find(u.node);
    if (it != nodes_.end()) {
        auto& node = it->second;
        if (u.sub == Sub::queued)
            std::erase(node.subscribe, user);
        else if (u.sub == Sub::sent || u.sub == Sub::live)
            node.unsubscribe.push_back(user);
        schedule_flush();
    }
    set_live(u, false);
    u.sub = Sub::none;
    u.node.clear();
}

void ShardedSubscriptions::set_live(User& u, bool live) {
    if ((u.sub == Sub::live) == live) return;
    if (live) {
        u.sub = Sub::live;
        ++metrics_.shard_subscriptions;
    } else if (u.sub == Sub::live) {
        u.sub = Sub::none;
        --metrics_.shard_subscriptions;
    }
}

void ShardedSubscriptions::schedule_flush() {
    if (flush_posted_) return;
    flush_posted_ = true;
    asio::post(executor_, [this] {
        flush_posted_ = false;
        flush();
    });
}

std::vector<std::vector<std::string>> ShardedSubscriptions::batches(std::vector<std::string> users) const {
    // In a cluster, Redis refuses shard channels of several slots in one command.
    if (options_.cluster)
        std::stable_sort(users.begin(), users.end(), [](const auto& a, const auto& b) { return key_slot(a) < key_slot(b); });
    std::vector<std::vector<std::string>> out;
    for (auto& user : users) {
        if (out.empty() || out.back().size() >= kChannelsPerCommand ||
            (options_.cluster && key_slot(out.back().front()) != key_slot(user)))
            out.emplace_back();
        out.back().push_back(std::move(user));
    }
    return out;
}

void ShardedSubscriptions::send(Node& node, Sent::Kind kind, std::vector<std::string> users) {
    std::vector<std::string> cmd{kind == Sent::Kind::ssubscribe ? "SSUBSCRIBE" : "SUNSUBSCRIBE"};
    for (const auto& user : users) cmd.push_back(user_shard_channel(user));
    node.link->send(cmd);
    node.sent.push_back(Sent{kind, std::move(users), 0});
    Metrics::add(kind == Sent::Kind::ssubscribe ? metrics_.shard_subscribe_commands : metrics_.shard_unsubscribe_commands);
}

void ShardedSubscriptions::flush() {
    if (stopped_) return;
    for (auto& [key, node] : nodes_) {
        if (!node.link) continue;
        if (!node.unsubscribe.empty()) {
            for (auto& batch : batches(std::exchange(node.unsubscribe, {}))) send(node, Sent::Kind::sunsubscribe, std::move(batch));
        }
        if (!node.subscribe.empty()) {
            // Only users still waiting for this node: one may have been let go or moved since.
            std::vector<std::string> users;
            for (auto& name : std::exchange(node.subscribe, {})) {
                auto u = users_.find(name);
                if (u == users_.end() || u->second.sub != Sub::queued || u->second.node != key) continue;
                u->second.sub = Sub::sent;
                users.push_back(std::move(name));
            }
            for (auto& batch : batches(std::move(users))) send(node, Sent::Kind::ssubscribe, std::move(batch));
        }
    }
}

std::size_t ShardedSubscriptions::max_reply_bytes() const {
    // The largest reply a shard link carries is an smessage: a message the function let through
    // (max_message_bytes) with its id and channel. Anything larger was not published by it.
    return options_.retention.max_message_bytes + 64 * 1024;
}

ShardedSubscriptions::Node& ShardedSubscriptions::node_for(const RedisEndpoint& endpoint) {
    const auto key = RedisClient::endpoint_text(endpoint);
    auto [it, fresh] = nodes_.try_emplace(key);
    auto& node = it->second;
    if (fresh) {
        node.pinged_at = Clock::now();  // the first PING after one interval
        node.link = RespLink::create(
            executor_, max_reply_bytes(), [this, key](redisReply* r) { on_node_reply(key, r); },
            [this, key](const std::string& cause) { on_node_lost(key, cause); });
        node.link->connect(endpoint, options_.connect_timeout);
        // Loaded on every node linked to, before anything else: a primary that came up empty
        // (a replaced node, a flushed one) has the library again before its users' messages.
        node.link->send(library_.load_command());
        node.sent.push_back(Sent{Sent::Kind::function_load, {}, 0});
    }
    return node;
}

void ShardedSubscriptions::on_node_reply(const std::string& key, redisReply* r) {
    auto it = nodes_.find(key);
    if (it == nodes_.end()) return;
    auto& node = it->second;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && is_string(r->element[0]) && is_string(r->element[1])) {
        const auto kind = text(r->element[0]);
        if (kind == "smessage" && is_string(r->element[2]))
            return on_live_message(key, text(r->element[1]), text(r->element[2]));
        const auto user = shard_channel_user(text(r->element[1]));
        if (kind == "ssubscribe" || kind == "sunsubscribe") {
            const auto want = kind == "ssubscribe" ? Sent::Kind::ssubscribe : Sent::Kind::sunsubscribe;
            if (!node.sent.empty() && node.sent.front().kind == want &&
                (want == Sent::Kind::ssubscribe || !user ||
                 std::find(node.sent.front().users.begin(), node.sent.front().users.end(), *user) !=
                     node.sent.front().users.end())) {
                auto& sent = node.sent.front();
                const bool last = ++sent.replies >= sent.users.size();
                if (want == Sent::Kind::ssubscribe && user) on_confirmed(std::string(*user), key);
                if (last) node.sent.pop_front();
                return;
            }
            // Not an answer: Redis dropped the subscription itself (its slot moved away).
            if (want == Sent::Kind::sunsubscribe && user) on_pushed_out(std::string(*user), key);
            return;
        }
    }
    if (node.sent.empty()) return;
    Sent sent = std::move(node.sent.front());
    node.sent.pop_front();
    const bool error = r->type == REDIS_REPLY_ERROR;
    switch (sent.kind) {
        case Sent::Kind::function_load:
            return library_.report(key, error ? text(r) : std::string_view{}, /*announce=*/false);
        case Sent::Kind::ssubscribe:
            // A MOVED (the slot is served elsewhere now), or a refusal: tried again on the slot's
            // owner after the backoff.
            log::warn("redis_shard_subscribe_refused",
                      {{"redis", key}, {"channels", sent.users.size()}, {"error", error ? std::string(text(r)) : "unexpected reply"}});
            for (const auto& name : sent.users) {
                auto u = users_.find(name);
                if (u == users_.end() || u->second.node != key || u->second.sub != Sub::sent) continue;
                u->second.sub = Sub::none;
                u->second.node.clear();
                u->second.gap = u->second.hwm.has_value();
            }
            return arm_retry();
        case Sent::Kind::sunsubscribe:
            return;
        case Sent::Kind::ping:
            node.ping_outstanding = false;
            return;
    }
}

void ShardedSubscriptions::on_node_lost(const std::string& key, const std::string& cause) {
    auto it = nodes_.find(key);
    if (it == nodes_.end()) return;
    std::size_t affected = 0;
    for (auto& [name, u] : users_) {
        if (u.node != key || u.sub == Sub::none) continue;
        set_live(u, false);
        u.sub = Sub::none;
        u.node.clear();
        u.gap = u.hwm.has_value();
        ++affected;
    }
    nodes_.erase(it);
    log::warn("redis_shard_link_lost", {{"redis", key}, {"cause", cause}, {"users", affected}});
    if (affected) arm_retry();
}

void ShardedSubscriptions::on_pushed_out(const std::string& user, const std::string& key) {
    auto it = users_.find(user);
    if (it == users_.end() || it->second.node != key || it->second.sub == Sub::none) return;
    auto& u = it->second;
    set_live(u, false);
    u.sub = Sub::none;
    u.node.clear();
    u.gap = u.hwm.has_value();
    log::info("redis_shard_channel_moved", {{"redis", key}, {"user", user}});
    arm_retry();
}

void ShardedSubscriptions::on_confirmed(const std::string& user, const std::string& key) {
    auto it = users_.find(user);
    if (it == users_.end() || it->second.sub != Sub::sent || it->second.node != key) return;
    auto& u = it->second;
    set_live(u, true);
    attempt_ = 0;
    if (u.gap) fill_gap(user);
    auto waiters = std::move(u.waiters);
    u.waiters.clear();
    for (auto& w : waiters) read_for(user, std::move(w));
}

void ShardedSubscriptions::arm_retry() {
    if (retry_armed_ || stopped_) return;
    retry_armed_ = true;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const auto delay = backoff_delay(attempt_++, options_.reconnect_min, options_.reconnect_max, unit(rng_));
    retry_timer_.expires_after(delay);
    retry_timer_.async_wait([this](const boost::system::error_code& ec) {
        retry_armed_ = false;
        if (ec || stopped_) return;
        for (auto& [name, u] : users_)
            if (u.sub == Sub::none && (u.sockets > 0 || !u.waiters.empty())) subscribe(name, u);
    });
}

void ShardedSubscriptions::routes_changed(bool reconnected) {
    if (stopped_) return;
    // Users whose slot is served by another node now move there, and fill their gap.
    for (auto& [name, u] : users_) {
        if (u.sub == Sub::none) continue;
        auto owner = routes_.owner(key_slot(name));
        if (!owner || RedisClient::endpoint_text(*owner) == u.node) continue;
        unsubscribe(name, u);
        u.gap = u.hwm.has_value();
        subscribe(name, u);
    }
    library_.primaries_changed(routes_.primaries(), reconnected);
}

// ---------------------------------------------------------------------------------------------
// Messages

void ShardedSubscriptions::on_live_message(const std::string& key, std::string_view channel, std::string_view payload) {
    const auto user = shard_channel_user(channel);
    const auto live = parse_live_message(payload);
    const auto id = live ? parse_stream_id(live->id) : std::nullopt;
    if (!user || !id) {
        metrics_.count_dropped(DropReason::bad_channel);
        std::uint64_t suppressed = 0;
        if (log_limiter_.allow(Clock::now(), suppressed) || suppressed)
            log::warn("message_dropped", {{"reason", "bad_channel"},
                                          {"detail", "a shard channel message without the form \"<stream id> <channel> <message>\""},
                                          {"channel", safe_prefix(channel, 160)},
                                          {"bytes", payload.size()},
                                          {"suppressed_before", suppressed}});
        return;
    }
    auto it = users_.find(std::string(*user));
    if (it == users_.end() || it->second.sub != Sub::live || it->second.node != key) return;  // let go meanwhile
    auto& u = it->second;
    if (u.hwm && *id <= *u.hwm) return;  // already handed on (a gap fill or a read got there first)
    const auto target = parse_channel(live->channel);
    if (!target || target->user_id != *user) {
        metrics_.count_dropped(DropReason::bad_channel);
        u.hwm = *id;
        return;
    }
    hand_off(u, *id, sink_.take(live->channel, live->message, *id, /*live=*/true));
}

void ShardedSubscriptions::hand_off(User& u, const StreamId& id, std::shared_ptr<const Delivery> d) {
    u.hwm = id;
    if (!d) return;
    if (u.reads) u.recorded.emplace_back(id, d);
    sink_.deliver(std::move(d));
}

// ---------------------------------------------------------------------------------------------
// Lingering and waiting

void ShardedSubscriptions::probe_links(std::chrono::steady_clock::time_point now) {
    if (options_.probe_interval.count() == 0) return;
    std::vector<std::string> silent;
    for (auto& [key, node] : nodes_) {
        if (node.ping_outstanding) {
            if (now - node.pinged_at >= options_.probe_timeout) silent.push_back(key);
            continue;
        }
        if (now - node.pinged_at < options_.probe_interval) continue;
        // Answered in order with everything else on the link: ["pong", ""] once subscribed.
        node.link->send({"PING"});
        node.sent.push_back(Sent{Sent::Kind::ping, {}, 0});
        node.pinged_at = now;
        node.ping_outstanding = true;
    }
    for (const auto& key : silent) {
        Metrics::add(metrics_.redis_probe_failures);
        log::warn("redis_shard_probe_timeout", {{"redis", key}, {"timeout_ms", options_.probe_timeout.count()}});
        if (auto it = nodes_.find(key); it != nodes_.end()) it->second.link->close();
        on_node_lost(key, "no answer to PING within " + std::to_string(options_.probe_timeout.count()) + " ms");
    }
}

void ShardedSubscriptions::tick() {
    if (stopped_) return;
    const auto now = Clock::now();
    std::set<std::string> used;
    for (auto it = users_.begin(); it != users_.end();) {
        auto& [name, u] = *it;
        // An opening socket whose user cannot be subscribed (its node is down) is not held
        // forever: it registers with a resync and gets live messages once the node is back.
        for (auto w = u.waiters.begin(); w != u.waiters.end();) {
            if (now < w->deadline) {
                ++w;
                continue;
            }
            auto waiter = std::move(*w);
            w = u.waiters.erase(w);
            metrics_.count_stream_read(StreamReadResult::failed);
            log::warn("redis_shard_subscribe_timeout", {{"user", name}, {"timeout_ms", options_.open_timeout.count()}});
            waiter.done(StreamBacklog{});
        }
        if (u.sockets == 0 && u.waiters.empty() && u.reads == 0 && now >= u.linger_until) {
            unsubscribe(name, u);
            it = users_.erase(it);
            continue;
        }
        if (u.sub != Sub::none) used.insert(u.node);
        ++it;
    }
    probe_links(now);
    // A node no user is on any more, with nothing in flight or queued, is let go.
    for (auto it = nodes_.begin(); it != nodes_.end();) {
        auto& node = it->second;
        if (used.count(it->first) || !node.sent.empty() || !node.subscribe.empty() || !node.unsubscribe.empty()) {
            ++it;
            continue;
        }
        node.link->close();
        it = nodes_.erase(it);
    }
    tick_timer_.expires_after(kTick);
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) tick();
    });
}

}  // namespace wsgw
