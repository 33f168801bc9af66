#pragma once
// One I/O thread's world: its io_context, and the registry of the sessions whose sockets live on
// it. Only that thread touches the registry, so fan-out takes no lock: a message is posted once
// to each shard, and each shard walks its own targets.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/delivery.hpp"
#include "net/session.hpp"
#include "net/shared_resume_window.hpp"
#include "wsgw/last_state_cache.hpp"
#include "wsgw/log_limiter.hpp"
#include "wsgw/message.hpp"
#include "wsgw/metrics.hpp"
#include "wsgw/registry.hpp"
#include "wsgw/send_queue.hpp"

namespace wsgw {

class SessionState;

struct Shard {
    Shard(std::size_t index, ReplayLimits replay_limits, SharedResumeWindow& resume)
        : index(index),
          replay(replay_limits),
          resume(resume),
          read_buffer(kReadBufferBytes),
          ioc(1),
          work(ioc.get_executor()) {}
    // Sessions waiting for a flush hold sockets, which must go before the io_context does.
    ~Shard() { dirty.clear(); }

    // Hands a message to every target session on this thread (and keeps it for replay when it
    // is progress); returns the number of sessions it was queued for. A message kept raw is
    // validated here only if its user has a socket on this thread (registered since the
    // subscriber looked); otherwise it is kept raw. The resume window filed it before.
    std::size_t deliver(std::shared_ptr<const Delivery> delivery);
    // Validates the messages kept raw of `user` that this thread keeps for replay, and those of
    // the resume window: called before they are read (a registration, a resume's wait for its
    // last_id).
    void validate_kept_raw(std::string_view user);
    // The replayable state of `user` (only `project_filter`'s when set).
    std::vector<std::shared_ptr<const Delivery>> last_state(std::string_view user, std::string_view project_filter);
    // What `user` missed since message `last_id` (only what `project_filter` admits), oldest
    // first, up to the last message fanned out on this thread; nullopt when the id is not in the
    // window up to there.
    std::optional<std::vector<std::shared_ptr<const Delivery>>> missed(std::string_view user, std::string_view last_id,
                                                                       std::string_view project_filter);
    // Whether `last_id` of `user` can be resumed from on this thread now (it is in the window up
    // to what this thread fanned out), or never will be (SharedResumeWindow::gone).
    bool can_resume(std::string_view user, std::string_view last_id) const {
        return resume.holds(user, last_id, fanned_out);
    }
    bool resume_gone(std::string_view user, std::string_view last_id) const { return resume.gone(user, last_id); }
    // Has `session` write what it queued once the work in hand is done: every frame queued for
    // one socket by a batch of deliveries goes out in one write (one syscall), and a burst
    // costs one write per socket instead of one per frame. An idle gateway still writes at once.
    void want_flush(std::shared_ptr<Session> session);

    std::size_t index;
    DeliveryValidator* validator = nullptr;  // set before any delivery kept raw arrives
    // Declared before the io_context so that they outlive it: destroying the io_context destroys
    // the handlers it still holds, and with them the sessions, which unregister themselves.
    Registry<Session*> registry;
    // Sessions admitted on this thread and not registered yet: their 101 or event-stream head is
    // on its way, or they wait for a last_id. A disconnect or revoke that comes meanwhile is
    // handed to them here (SessionState::refuse_at_open), so no socket slips past a command
    // between its admission and its registration.
    std::unordered_set<SessionState*> opening;
    LastStateCache<std::shared_ptr<const Delivery>> replay;
    SharedResumeWindow& resume;
    // The resume window's arrival number of the last message this thread has fanned out.
    std::uint64_t fanned_out = 0;
    // Warnings about refused requests on this thread, each kind capped per second.
    struct {
        LogLimiter origin{10}, auth{10}, limit{10};
    } refusal_logs;
    std::vector<std::shared_ptr<Session>> dirty;  // sessions with frames queued since the last flush
    std::vector<std::shared_ptr<Session>> flushing;
    // Scratch space every plain socket on this thread reads into once it is readable, so an
    // idle connection holds no read buffer of its own.
    static constexpr std::size_t kReadBufferBytes = 64 * 1024;
    std::vector<char> read_buffer;
    boost::asio::io_context ioc;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
};

inline std::size_t Shard::deliver(std::shared_ptr<const Delivery> d) {
    // Exact on this thread: a socket that registered here before this runs gets the message live;
    // one that registers after finds it in the window and cache, validated then.
    if (d->kept_raw && registry.user_count() != 0 && registry.holds(d->user_id)) {
        d = validator->validate(*d);
        if (!d) return 0;
    }
    const auto type = d->outbound.type;
    if (type == MessageType::project_progress || type == MessageType::project_completed)
        replay.put(d->user_id, d->outbound.project_id, d, type == MessageType::project_completed,
                   std::chrono::steady_clock::now());
    if (d->kept_raw) return 0;
    return registry.for_each_target(d->user_id, d->project_id,
                                    [&](Session* session) { session->send(OutboundPtr(d, &d->outbound)); });
}

inline void Shard::validate_kept_raw(std::string_view user) {
    if (!validator) return;
    // One validation per message per thread, though the cache and the window may both hold it.
    std::unordered_map<const Delivery*, std::shared_ptr<const Delivery>> validated;
    auto validate = [&](std::shared_ptr<const Delivery>& d) {
        if (!d->kept_raw) return true;
        auto [it, fresh] = validated.try_emplace(d.get());
        if (fresh) it->second = validator->validate(*d);
        if (!it->second) return false;
        d = it->second;
        return true;
    };
    resume.validate_kept_raw(user, validate);
    replay.validate_kept_raw(user, validate);
}

inline std::vector<std::shared_ptr<const Delivery>> Shard::last_state(std::string_view user,
                                                                      std::string_view project_filter) {
    return replay.get(user, project_filter, std::chrono::steady_clock::now());
}

inline std::optional<std::vector<std::shared_ptr<const Delivery>>> Shard::missed(std::string_view user,
                                                                                  std::string_view last_id,
                                                                                  std::string_view project_filter) {
    return resume.since(user, last_id, project_filter, fanned_out);
}

inline void Shard::want_flush(std::shared_ptr<Session> session) {
    if (dirty.empty()) {
        boost::asio::post(ioc, [this] {
            // Swapped out first: a flush that completes inline may queue the next round.
            flushing.swap(dirty);
            for (auto& s : flushing) s->write_queued();
            flushing.clear();
        });
    }
    dirty.push_back(std::move(session));
}

}  // namespace wsgw
