#include "net/session_state.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "net/catch_up.hpp"
#include "net/logging.hpp"
#include "net/streams.hpp"
#include "wsgw/close_codes.hpp"


namespace wsgw {

SessionState::~SessionState() {
    shard.opening.erase(this);
    if (stream_held_ && ctx.user_streams) ctx.user_streams->release(peer.identity.user_id);
    // A session destroyed without closing (its io_context went first) still leaves the registry.
    if (registered_) {
        shard.registry.remove(peer.identity.user_id, self_);
        ctx.presence.remove(peer.identity.user_id);
    }
    ctx.limiter.release(peer.identity.user_id, peer.address);
}

void SessionState::open(Session& self, bool tls, const char* transport, std::function<void()> opened) {
    if (ctx.user_streams) return open_from_stream(self, tls, transport, std::move(opened));
    // Until registration, opened_at_ holds when the wait for last_id began.
    const auto now = std::chrono::steady_clock::now();
    if (opened_at_ == std::chrono::steady_clock::time_point{}) opened_at_ = now;
    const auto wait = std::min<std::chrono::steady_clock::duration>(ctx.resume_wait, ctx.handshake_timeout / 2);
    // Messages kept raw have no id until validated.
    if (!peer.last_id.empty()) shard.validate_kept_raw(peer.identity.user_id);
    // An id this thread held and let go (or any id, with resume off) will never arrive: the
    // client gets its resync at once. An id never seen here may still be on its way.
    if (refused_at_open_ == 0 && !peer.last_id.empty() && now - opened_at_ < wait &&
        !shard.can_resume(peer.identity.user_id, peer.last_id) &&
        !shard.resume_gone(peer.identity.user_id, peer.last_id)) {
        // Looked at again shortly: the timer lives only while a socket waits.
        auto timer = std::make_shared<ShardTimer>(shard.ioc.get_executor());
        timer->expires_after(std::chrono::milliseconds(10));
        timer->async_wait([this, keep = self.shared_from_this(), timer, tls, transport,
                           opened = std::move(opened)](const boost::system::error_code& ec) mutable {
            if (!ec) open(*keep, tls, transport, std::move(opened));
        });
        return;
    }
    if (register_open(self, tls, transport, opened)) {
        catch_up(shard, self, queue, peer, ctx.metrics);
        opened();
    }
}

void SessionState::open_from_stream(Session& self, bool tls, const char* transport, std::function<void()> opened) {
    stream_held_ = true;
    // The backlog comes back on the subscriber's thread once the user's shard channel is
    // subscribed and its stream read, and the socket registers at that very point of the
    // subscriber's sequence: after every message the backlog holds, before every later one.
    // On the subscriber's own thread that is inline (dispatch): a hand-off runs inline there
    // too, and one already queued on it may carry messages that arrive after this. Another
    // thread gets the registration posted ahead of every later hand-off.
    ctx.user_streams->open(
        peer.identity.user_id, peer.last_id, peer.project_filter,
        [this, keep = self.shared_from_this(), tls, transport, opened = std::move(opened)](StreamBacklog backlog) mutable {
            auto& ioc = shard.ioc;
            boost::asio::dispatch(ioc, [this, keep = std::move(keep), tls, transport, opened = std::move(opened),
                                        backlog = std::move(backlog)]() mutable {
                if (register_open(*keep, tls, transport, opened)) {
                    catch_up_from_stream(*keep, queue, peer, backlog, ctx.metrics);
                    opened();
                }
            });
        });
}

bool SessionState::register_open(Session& self, bool tls, const char* transport, const std::function<void()>& opened) {
    shard.opening.erase(this);
    self_ = &self;
    opened_at_ = std::chrono::steady_clock::now();
    ctx.presence.add(peer.identity.user_id);
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
    if (refused_at_open_ != 0) {
        opened();
        const auto why = static_cast<DisconnectReason>(refused_at_open_ - 1);
        self.close(close_code::revoked, why == DisconnectReason::revoked ? "token revoked" : "disconnected by the server",
                   why, false);
        return false;
    }
    return true;
}

bool SessionState::push(Session& self, OutboundPtr item) {
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

void SessionState::closed(Session& self, std::uint16_t code, DisconnectReason why, const std::string& error,
                         const char* transport) {
    queue.drop_unsent();
    if (stream_held_ && ctx.user_streams) {
        // The user's subscription lingers from now, not from when this object goes.
        stream_held_ = false;
        ctx.user_streams->release(peer.identity.user_id);
    }
    if (!registered_) return;
    registered_ = false;
    shard.registry.remove(peer.identity.user_id, &self);
    ctx.presence.remove(peer.identity.user_id);
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

std::chrono::steady_clock::duration SessionState::next_tick() const {
    auto left = peer.identity.expires_at + ctx.auth.leeway - std::chrono::system_clock::now();
    return std::min(std::chrono::duration_cast<std::chrono::steady_clock::duration>(left),
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(ctx.ping_interval));
}

bool SessionState::token_expired() const {
    return std::chrono::system_clock::now() >= peer.identity.expires_at + ctx.auth.leeway;
}

}  // namespace wsgw
