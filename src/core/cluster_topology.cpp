#include "wsgw/cluster_topology.hpp"

#include <algorithm>
#include <utility>

#include "wsgw/fnv1a.hpp"
#include "wsgw/text.hpp"

namespace wsgw {

namespace {

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    for_each_item(line, ' ', [&](std::string_view f) { out.push_back(f); });
    return out;
}

bool has_flag(std::string_view flags, std::string_view flag) {
    bool found = false;
    for_each_item(flags, ',', [&](std::string_view f) { found = found || f == flag; });
    return found;
}

// "ip:port@cport[,hostname]"; IPv6 addresses keep their colons ("::1:7000@17000").
bool parse_address(std::string_view field, ClusterNode& node) {
    field = field.substr(0, field.find(','));
    field = field.substr(0, field.find('@'));
    auto colon = field.rfind(':');
    if (colon == std::string_view::npos) return false;
    auto port = to_uint(field.substr(colon + 1));
    if (!port || *port > 65535) return false;
    node.host = std::string(field.substr(0, colon));
    node.port = static_cast<std::uint16_t>(*port);
    return true;
}

// A final mixing step (splitmix64's), so that ids differing in one character still weigh
// independently.
std::uint64_t mix(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

}  // namespace

std::string ClusterNode::address() const {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::size_t ClusterTopology::healthy_nodes() const {
    return static_cast<std::size_t>(std::count_if(nodes.begin(), nodes.end(), [](const auto& n) { return n.healthy; }));
}

const ClusterNode* ClusterTopology::slot_owner(std::uint16_t slot) const {
    for (const auto& n : nodes) {
        if (!n.primary || !n.healthy) continue;
        for (auto [lo, hi] : n.slots)
            if (slot >= lo && slot <= hi) return &n;
    }
    return nullptr;
}

const ClusterNode* ClusterTopology::find(std::string_view host, std::uint16_t port) const {
    for (const auto& n : nodes)
        if (n.host == host && n.port == port) return &n;
    return nullptr;
}

bool ClusterTopology::assign_slot(std::uint16_t slot, std::string_view host, std::uint16_t port) {
    auto* target = const_cast<ClusterNode*>(std::as_const(*this).find(host, port));
    if (!target) return false;
    for (auto& n : nodes) {
        std::vector<std::pair<std::uint16_t, std::uint16_t>> kept;
        for (auto [lo, hi] : n.slots) {
            if (slot < lo || slot > hi) {
                kept.emplace_back(lo, hi);
                continue;
            }
            if (lo < slot) kept.emplace_back(lo, static_cast<std::uint16_t>(slot - 1));
            if (slot < hi) kept.emplace_back(static_cast<std::uint16_t>(slot + 1), hi);
        }
        n.slots = std::move(kept);
    }
    target->primary = true;  // a promoted replica that the topology still lists as one
    target->primary_id.clear();
    target->slots.emplace_back(slot, slot);
    return true;
}

bool reconcile(ClusterTopology& topology, const SlotMove& move) {
    const auto* named = topology.find(move.host, move.port);
    if (!named || !named->healthy) return false;
    if (topology.slot_owner(move.slot) == named) return false;
    return topology.assign_slot(move.slot, move.host, move.port);
}

std::optional<ClusterTopology> parse_cluster_nodes(std::string_view text, std::string& error) {
    ClusterTopology topology;
    std::size_t line_no = 0;
    bool ok = true;
    for_each_item(text, '\n', [&](std::string_view line) {
        ++line_no;
        if (!ok) return;
        // <id> <addr> <flags> <primary> <ping-sent> <pong-recv> <epoch> <link> [slot ...]
        auto f = fields(line);
        ClusterNode node;
        if (f.size() < 8 || f[0].size() != 40 || !parse_address(f[1], node)) {
            error = "line " + std::to_string(line_no) + " is not a CLUSTER NODES entry";
            ok = false;
            return;
        }
        node.id = std::string(f[0]);
        const auto flags = f[2];
        node.primary = has_flag(flags, "master");
        if (!node.primary && f[3] != "-") node.primary_id = std::string(f[3]);
        node.healthy = !has_flag(flags, "fail") && !has_flag(flags, "fail?") && !has_flag(flags, "handshake") &&
                       !has_flag(flags, "noaddr") && !node.host.empty() && node.port != 0 && f[7] == "connected";
        for (std::size_t i = 8; i < f.size(); ++i) {
            if (f[i].starts_with('[')) continue;  // a slot being imported or migrated
            auto dash = f[i].find('-');
            auto lo = to_uint(f[i].substr(0, dash));
            auto hi = dash == std::string_view::npos ? lo : to_uint(f[i].substr(dash + 1));
            if (!lo || !hi || *lo > *hi || *hi >= 16384) {
                error = "line " + std::to_string(line_no) + " has a bad slot range";
                ok = false;
                return;
            }
            node.slots.emplace_back(static_cast<std::uint16_t>(*lo), static_cast<std::uint16_t>(*hi));
        }
        topology.nodes.push_back(std::move(node));
    });
    if (!ok) return std::nullopt;
    if (topology.nodes.empty()) {
        error = "no nodes";
        return std::nullopt;
    }
    return topology;
}

std::uint16_t key_slot(std::string_view key) noexcept {
    // Only the part between the first '{' and the next '}' is hashed, when it is not empty.
    if (auto open = key.find('{'); open != std::string_view::npos) {
        auto close = key.find('}', open + 1);
        if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
    }
    std::uint16_t crc = 0;  // CRC16-CCITT (XMODEM): polynomial 0x1021, initial 0
    for (unsigned char c : key) {
        crc ^= static_cast<std::uint16_t>(c << 8);
        for (int bit = 0; bit < 8; ++bit)
            crc = static_cast<std::uint16_t>(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc & 16383;
}

std::vector<const ClusterNode*> rank_nodes(const ClusterTopology& topology, std::string_view instance_id) {
    std::vector<std::pair<std::uint64_t, const ClusterNode*>> weighted;
    for (const auto& n : topology.nodes) {
        if (!n.healthy) continue;
        std::uint64_t h = kFnv1aOffset;
        fnv1a(h, instance_id);
        fnv1a(h, std::string_view("\0", 1));
        fnv1a(h, n.id);
        weighted.emplace_back(mix(h), &n);
    }
    std::sort(weighted.begin(), weighted.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second->id < b.second->id;
    });
    std::vector<const ClusterNode*> out;
    for (const auto& [w, n] : weighted) out.push_back(n);
    return out;
}

std::optional<std::pair<std::string, std::uint16_t>> parse_redirect(std::string_view error) {
    auto f = fields(error);
    if (f.size() != 3 || (f[0] != "MOVED" && f[0] != "ASK")) return std::nullopt;
    ClusterNode node;
    if (!parse_address(f[2], node) || node.port == 0) return std::nullopt;
    return std::make_pair(node.host, node.port);
}

}  // namespace wsgw
