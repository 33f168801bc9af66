#pragma once
// What a socket gets right after it registers, whatever its transport: what it missed since
// last_id, or (on a fresh connection, or an id the resume window does not hold, then after a
// resync frame) the latest state of its projects.
//
// It runs on the socket's thread right after registration, so every message is either already
// fanned out on that thread, and then in the resume window up to the thread's arrival number
// and in the thread's cache (sent from there, validated first if it was kept raw), or not yet
// fanned out there (delivered live, validated on this thread if it was kept raw): none is lost
// or sent twice across the seam.
#include <chrono>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include "net/logging.hpp"
#include "net/peer.hpp"
#include "net/shard.hpp"
#include "net/user_streams.hpp"
#include "wsgw/client_frames.hpp"
#include "wsgw/ws_frame.hpp"

namespace wsgw {

// Queues `items` to `session` as a backlog its send queue takes on top of its bounds: a resume
// after a long absence may hold more than the bounds, and must not close the socket it serves
// as a slow consumer (it would reconnect with the same id, again and again).
inline std::size_t send_backlog(Session& session, SendQueue& queue,
                                const std::vector<std::shared_ptr<const Delivery>>& items) {
    std::size_t bytes = 0;
    for (const auto& d : items) bytes += d->outbound.frame.size();
    queue.allow_backlog(items.size(), bytes);
    for (const auto& d : items) session.send(OutboundPtr(d, &d->outbound));
    return items.size();
}

// Either transport, either mode: what the socket missed when its last_id was found (`missed`),
// else a resync (when it gave a last_id) and the latest state of its projects (`latest()`).
template <class Latest>
void send_catch_up(Session& session, SendQueue& queue, Peer& peer, Metrics& metrics,
                   const std::optional<std::vector<std::shared_ptr<const Delivery>>>& missed, Latest&& latest) {
    if (!peer.last_id.empty()) {
        log::debug("resume", {{"user", peer.identity.user_id}, {"last_id", peer.last_id}, {"found", missed.has_value()},
                              {"messages", missed ? missed->size() : 0}});
        std::string().swap(peer.last_id);
        if (missed) {
            Metrics::add(metrics.resume_hits);
            Metrics::add(metrics.resumed_messages, send_backlog(session, queue, *missed));
            return;
        }
        Metrics::add(metrics.resume_misses);
        // Framed for WebSocket like every queued item; an SSE session reads the JSON inside.
        auto resync = std::make_shared<Outbound>();
        resync->frame = ws::make_frame(ws::Opcode::text, make_resync(std::chrono::system_clock::now()));
        session.send(std::move(resync));
    }
    if (auto n = send_backlog(session, queue, latest())) Metrics::add(metrics.replayed, n);
}

inline void catch_up(Shard& shard, Session& session, SendQueue& queue, Peer& peer, Metrics& metrics) {
    const auto& user = peer.identity.user_id;
    // What this thread kept raw for the user is validated now, before it is read; what arrives
    // from here on is validated on arrival (the user is registered).
    shard.validate_kept_raw(user);
    std::optional<std::vector<std::shared_ptr<const Delivery>>> missed;
    if (!peer.last_id.empty()) missed = shard.missed(user, peer.last_id, peer.project_filter);
    send_catch_up(session, queue, peer, metrics, missed, [&] { return shard.last_state(user, peer.project_filter); });
}

// Sharded mode: the same, from what the user's stream held (net/user_streams.hpp).
inline void catch_up_from_stream(Session& session, SendQueue& queue, Peer& peer, StreamBacklog& backlog,
                                 Metrics& metrics) {
    std::optional<std::vector<std::shared_ptr<const Delivery>>> missed;
    if (backlog.resumed) missed = std::move(backlog.messages);
    send_catch_up(session, queue, peer, metrics, missed, [&] { return std::move(backlog.messages); });
}

}  // namespace wsgw
