#include "net/session_core.hpp"

#include "net/catch_up.hpp"
#include "net/logging.hpp"

namespace wsgw {

SessionCore::~SessionCore() {
    // A session destroyed without closing (its io_context went first) still leaves the registry.
    if (registered_) shard.registry.remove(peer.identity.user_id, self_);
    ctx.limiter.release(peer.identity.user_id, peer.address);
}

void SessionCore::open(Session& self, bool tls, const char* transport) {
    self_ = &self;
    opened_at_ = std::chrono::steady_clock::now();
    shard.registry.add(peer.identity.user_id, peer.project_filter, &self);
    registered_ = true;
    ctx.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
    Metrics::add(ctx.metrics.connections_total);
    log::info("conn_open", {{"user", peer.identity.user_id},
                            {"remote", peer.remote},
                            {"address", peer.address},
                            {"project_filter", peer.project_filter},
                            {"tls", tls},
                            {"thread", shard.index},
                            {"transport", transport}});
    catch_up(shard, self, peer, ctx.metrics);
}

bool SessionCore::push(Session& self, OutboundPtr item) {
    switch (queue.push(std::move(item))) {
        case PushResult::queued:
            if (!flush_scheduled_ && !queue.writing()) {
                flush_scheduled_ = true;
                shard.want_flush(self.shared_from_this());
            }
            return true;
        case PushResult::coalesced:
            Metrics::add(ctx.metrics.coalesced);
            return true;
        case PushResult::overflow:
            log::warn("slow_consumer", {{"user", peer.identity.user_id},
                                        {"remote", peer.remote},
                                        {"queued_messages", queue.size()},
                                        {"queued_bytes", queue.bytes()}});
            return false;
    }
    return false;
}

void SessionCore::closed(Session& self, std::uint16_t code, DisconnectReason why, const std::string& error,
                         const char* transport) {
    queue.drop_unsent();
    if (!registered_) return;
    registered_ = false;
    shard.registry.remove(peer.identity.user_id, &self);
    ctx.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
    ctx.metrics.count_disconnect(why);
    auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - opened_at_);
    log::info("conn_close", {{"user", peer.identity.user_id},
                             {"remote", peer.remote},
                             {"duration_ms", duration.count()},
                             {"code", code},
                             {"reason", to_string(why)},
                             {"error", error},
                             {"transport", transport}});
}

std::chrono::steady_clock::duration SessionCore::next_tick() const {
    auto left = peer.identity.expires_at + ctx.auth.leeway - std::chrono::system_clock::now();
    return std::min(std::chrono::duration_cast<std::chrono::steady_clock::duration>(left),
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(ctx.ping_interval));
}

bool SessionCore::token_expired() const {
    return std::chrono::system_clock::now() >= peer.identity.expires_at + ctx.auth.leeway;
}

}  // namespace wsgw
