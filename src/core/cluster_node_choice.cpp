#include "wsgw/cluster_node_choice.hpp"

#include <algorithm>
#include <iterator>

namespace wsgw {

void ClusterNodeChoice::failed(const RedisEndpoint& node, Clock::time_point now) {
    std::erase_if(avoid_, [&](const Avoided& a) { return a.until <= now; });
    avoid_.push_back(Avoided{node.host, node.port, now + kAvoidFailedNode});
}

bool ClusterNodeChoice::avoided(std::string_view host, std::uint16_t port, Clock::time_point now) const {
    return std::any_of(avoid_.begin(), avoid_.end(),
                       [&](const Avoided& a) { return a.host == host && a.port == port && a.until > now; });
}

std::vector<RedisEndpoint> ClusterNodeChoice::ask_order(const ClusterTopology* known,
                                                        const std::vector<RedisEndpoint>& seeds,
                                                        const RedisEndpoint& base, const RedisEndpoint* refreshing,
                                                        Clock::time_point now) const {
    std::vector<RedisEndpoint> first, last;
    auto consider = [&](const std::string& host, std::uint16_t port) {
        RedisEndpoint ep = with_address(base, host, port);
        bool later = (refreshing && same_address(ep, *refreshing)) || avoided(host, port, now);
        for (const auto* list : {&first, &last})
            for (const auto& listed : *list)
                if (same_address(listed, ep)) return;
        (later ? last : first).push_back(std::move(ep));
    };
    if (known)
        for (const auto* node : rank_nodes(*known, instance_id_)) consider(node->host, node->port);
    for (const auto& seed : seeds) consider(seed.host, seed.port);
    first.insert(first.end(), std::make_move_iterator(last.begin()), std::make_move_iterator(last.end()));
    return first;
}

ClusterNodeChoice::Choice ClusterNodeChoice::choose(const ClusterTopology& topology, Clock::time_point now) const {
    const auto ranked = rank_nodes(topology, instance_id_);
    if (ranked.empty()) return {};
    std::size_t rank = 0;
    while (rank < ranked.size() && avoided(ranked[rank]->host, ranked[rank]->port, now)) ++rank;
    if (rank == ranked.size()) rank = 0;  // every node failed lately: the first choice again
    return Choice{ranked[rank], rank, ranked.size()};
}

NodeStanding node_standing(const ClusterTopology& topology, std::string_view host, std::uint16_t port) {
    const auto* node = topology.find(host, port);
    if (!node) return NodeStanding::not_a_member;
    return node->healthy ? NodeStanding::healthy : NodeStanding::not_healthy;
}

}  // namespace wsgw
