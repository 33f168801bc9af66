#include "net/cluster_router.hpp"

#include <boost/asio/post.hpp>
#include <memory>

#include "net/logging.hpp"
#include "net/redis_reply.hpp"

namespace wsgw {

namespace asio = boost::asio;

ClusterRouter::ClusterRouter(asio::any_io_executor executor, Options options, Metrics& metrics, RedisNodeEvents events)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      metrics_(metrics),
      events_(std::move(events)),
      choice_(options_.instance_id),
      query_(executor_, nullptr),
      refresh_timer_(executor_) {}

void ClusterRouter::stop() {
    subscribed_ = false;
    refresh_timer_.cancel();
    ++discovery_generation_;
    keyed_.clear();
    query_.close();
}

void ClusterRouter::find_node() { discover(/*refresh=*/false); }

void ClusterRouter::subscription_up() {
    subscribed_ = true;
    arm_refresh(options_.refresh);
}

void ClusterRouter::subscription_lost() {
    refresh_timer_.cancel();
    choice_.failed(current_, std::chrono::steady_clock::now());
    subscribed_ = false;
}

void ClusterRouter::reset_commands() { keyed_.clear(); }

void ClusterRouter::discover(bool refresh) {
    discovery_ = choice_.ask_order(topology_ ? &*topology_ : nullptr, options_.seeds, options_.endpoint,
                                   refresh ? &current_ : nullptr, std::chrono::steady_clock::now());
    query_topology(0, refresh, ++discovery_generation_);
}

void ClusterRouter::query_topology(std::size_t index, bool refresh, std::uint64_t generation) {
    if (generation != discovery_generation_) return;  // a later read, or stop()
    if (index >= discovery_.size()) {
        Metrics::add(metrics_.redis_topology_refreshes_failed);
        log::warn("redis_cluster_unreachable", {{"nodes_asked", discovery_.size()}, {"cause", "no node answered CLUSTER NODES"}});
        if (refresh) return arm_refresh(options_.refresh);
        return events_.not_found();
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
            if (generation != discovery_generation_) return;  // a later read owns query_
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

void ClusterRouter::on_topology(ClusterTopology topology, bool refresh) {
    Metrics::add(metrics_.redis_topology_refreshes_ok);
    metrics_.redis_cluster_nodes = topology.healthy_nodes();
    if (moved_ && !reconcile(topology, *moved_)) moved_.reset();
    topology_ = std::move(topology);
    if (topology_hook_) topology_hook_();
    if (!refresh) return choose_node();
    const auto standing = node_standing(*topology_, current_.host, current_.port);
    if (standing != NodeStanding::healthy) {
        const bool member = standing == NodeStanding::not_healthy;
        log::warn("redis_cluster_node_left", {{"node", RedisClient::endpoint_text(current_)},
                                              {"state", member ? "not healthy" : "not a member"}});
        events_.moved(std::string("node is ") + (member ? "no longer healthy" : "no longer a member") +
                      " in the cluster's topology");
        return;
    }
    arm_refresh(options_.refresh);
}

void ClusterRouter::choose_node() {
    const auto choice = choice_.choose(*topology_, std::chrono::steady_clock::now());
    if (!choice.node) return events_.not_found();  // the reader checked; a guard all the same
    const auto& node = *choice.node;
    log::info("redis_cluster_node_chosen", {{"node", node.address()},
                                            {"role", node.primary ? "primary" : "replica"},
                                            {"rank", choice.rank},
                                            {"healthy_nodes", choice.healthy},
                                            {"instance_id", choice_.instance_id()}});
    current_ = with_address(options_.endpoint, node.host, node.port);
    events_.found(current_);
}

void ClusterRouter::on_moved(std::uint16_t slot, const RedisEndpoint& to) {
    moved_ = SlotMove{slot, to.host, to.port};
    if (topology_ && !reconcile(*topology_, *moved_)) moved_.reset();
    arm_refresh(std::chrono::milliseconds(0));
}

void ClusterRouter::arm_refresh(std::chrono::milliseconds after) {
    if (!subscribed_) return;
    refresh_timer_.expires_after(after);
    refresh_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec && subscribed_) discover(/*refresh=*/true);
    });
}

void ClusterRouter::command(std::vector<std::string> args, RedisClient::ReplyHandler handler) {
    keyed_command(std::move(args), std::move(handler), std::nullopt, false);
}

void ClusterRouter::keyed_command(std::vector<std::string> args, RedisClient::ReplyHandler handler,
                                  std::optional<RedisEndpoint> target, bool asking) {
    const bool redirected = target.has_value();
    if (!target) {
        target = current_;
        const auto* owner = topology_ && args.size() > 1 ? topology_->slot_owner(key_slot(args[1])) : nullptr;
        if (owner) target = with_address(options_.endpoint, owner->host, owner->port);
    }
    const auto key = RedisClient::endpoint_text(*target);
    auto& keyed = keyed_[key];
    if (!keyed.client)
        keyed.client = std::make_unique<RedisClient>(executor_, [](const std::string& cause) {
            log::debug("redis_keyed_connection_lost", {{"cause", cause}});
        });
    if (!keyed.client->active()) {
        std::string error;
        if (!keyed.client->connect(*target, options_.connect_timeout, error)) {
            log::warn("redis_commands_unavailable", {{"redis", key}, {"cause", error}});
            if (handler) handler(nullptr);
            return;
        }
        keyed.client->mark_ready();  // each command has its own deadline instead
        ++keyed.generation;
    }
    // A primary that stopped answering must not leave the caller waiting for ever.
    auto deadline = std::make_shared<asio::steady_timer>(executor_, options_.connect_timeout);
    deadline->async_wait([this, key, generation = keyed.generation](const boost::system::error_code& ec) {
        if (ec) return;
        if (auto it = keyed_.find(key); it != keyed_.end() && it->second.generation == generation && it->second.client)
            it->second.client->fail("no reply within the connect timeout");
    });
    if (asking) keyed.client->command({"ASKING"}, nullptr);
    auto sent = args;
    keyed.client->command(sent, [this, args = std::move(args), handler = std::move(handler), deadline, redirected,
                                 host = target->host](redisReply* r) mutable {
        deadline->cancel();
        if (r && r->type == REDIS_REPLY_ERROR && !redirected) {
            if (auto to = parse_redirect(text(r))) {
                // The topology was stale (a failover, a resharding): once to where the cluster says.
                RedisEndpoint ep = with_address(options_.endpoint, to->first.empty() ? host : to->first,
                                                to->second);
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

std::optional<RedisEndpoint> ClusterRouter::primary_for(std::uint16_t slot) const {
    if (!topology_) return std::nullopt;
    const auto* owner = topology_->slot_owner(slot);
    if (!owner) return std::nullopt;
    return with_address(options_.endpoint, owner->host, owner->port);
}

std::vector<RedisEndpoint> ClusterRouter::primaries() const {
    std::vector<RedisEndpoint> out;
    if (!topology_) return out;
    for (const auto& n : topology_->nodes)
        if (n.primary && n.healthy && !n.slots.empty()) out.push_back(with_address(options_.endpoint, n.host, n.port));
    return out;
}

}  // namespace wsgw
