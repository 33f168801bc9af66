// ShardedSubscriptions, its stream reads: the gap after a lost subscription, and what an opening
// socket gets before anything live (what it missed since last_id, or the latest state).
#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "net/logging.hpp"
#include "net/redis_reply.hpp"
#include "net/sharded_subscriptions.hpp"

namespace wsgw {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

bool admits(std::string_view project_filter, const Delivery& d) {
    return project_filter.empty() || d.project_id.empty() || d.project_id == project_filter;
}

}  // namespace

std::size_t ShardedSubscriptions::read_count() const {
    // MAXLEN ~ trims whole nodes of the stream: it may hold up to about a hundred entries more
    // than asked. A read that fills this count is cut short, and answered with a resync.
    return static_cast<std::size_t>(options_.retention.max_messages_per_user) + 128;
}

std::optional<std::vector<ShardedSubscriptions::Entry>> ShardedSubscriptions::parse_entries(redisReply* r) {
    if (!r || r->type != REDIS_REPLY_ARRAY) return std::nullopt;
    std::vector<Entry> out;
    out.reserve(r->elements);
    for (std::size_t i = 0; i < r->elements; ++i) {
        auto* e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !is_string(e->element[0]) ||
            e->element[1]->type != REDIS_REPLY_ARRAY)
            return std::nullopt;
        auto id = parse_stream_id(text(e->element[0]));
        if (!id) return std::nullopt;
        Entry entry{*id, {}, {}};
        auto* fields = e->element[1];
        for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
            if (!is_string(fields->element[f]) || !is_string(fields->element[f + 1])) continue;
            const auto name = text(fields->element[f]);
            if (name == "c") entry.channel = text(fields->element[f + 1]);
            else if (name == "m") entry.message = text(fields->element[f + 1]);
        }
        out.push_back(std::move(entry));
    }
    return out;
}

void ShardedSubscriptions::fill_gap(const std::string& user) {
    auto& u = users_[user];
    if (!u.hwm) return;
    u.gap = false;
    const auto from = "(" + u.hwm->text();
    routes_.command({"XRANGE", user_stream_key(user), from, "+", "COUNT", std::to_string(read_count())},
                    [this, user](redisReply* r) {
                        auto entries = parse_entries(r);
                        asio::post(executor_, [this, user, entries = std::move(entries)] {
                            auto it = users_.find(user);
                            if (it == users_.end()) return;
                            auto& u = it->second;
                            if (!entries) {
                                metrics_.count_stream_read(StreamReadResult::failed);
                                log::warn("redis_stream_read_failed", {{"user", user}, {"purpose", "gap"}});
                                return;
                            }
                            metrics_.count_stream_read(StreamReadResult::gap);
                            for (const auto& e : *entries)
                                if (!u.hwm || e.id > *u.hwm)
                                    hand_off(u, e.id, sink_.take(e.channel, e.message, e.id, /*live=*/true));
                            sink_.flush();
                        });
                    });
}

void ShardedSubscriptions::read_for(const std::string& user, Waiter waiter) {
    if (waiter.last_id.empty()) return read_latest(user, std::move(waiter), /*resync=*/false);
    const auto last = parse_stream_id(waiter.last_id);
    if (!last) return read_latest(user, std::move(waiter), /*resync=*/true);  // not an id of this mode
    ++users_[user].reads;
    const auto count = read_count();
    // The arguments are built before the waiter moves into the handler.
    std::vector<std::string> args{"XRANGE", user_stream_key(user), waiter.last_id, "+", "COUNT", std::to_string(count + 1)};
    routes_.command(args, [this, user, last = *last, count, w = std::make_shared<Waiter>(std::move(waiter))](redisReply* r) {
                        auto entries = parse_entries(r);
                        asio::post(executor_, [this, user, last, count, w, entries = std::move(entries)]() mutable {
                            auto& u = users_[user];
                            --u.reads;
                            if (!entries) return read_failed(user, *w, "resume");
                            // Found only when the stream still starts at or before last_id (its
                            // first entry read is last_id itself) and holds all that came after.
                            if (entries->empty() || entries->front().id != last || entries->size() > count)
                                return read_latest(user, std::move(*w), /*resync=*/true);
                            metrics_.count_stream_read(StreamReadResult::resumed);
                            const auto up_to = entries->back().id;
                            entries->erase(entries->begin());
                            finish_read(user, *w, *entries, up_to, /*resumed=*/true);
                        });
                    });
}

void ShardedSubscriptions::read_latest(const std::string& user, Waiter waiter, bool resync) {
    ++users_[user].reads;
    // With replay off (replay_max_entries = 0) only the newest entry is needed: where live
    // delivery starts.
    const auto count = options_.replay.max_entries == 0 ? std::size_t{1} : read_count();
    routes_.command({"XREVRANGE", user_stream_key(user), "+", "-", "COUNT", std::to_string(count)},
                    [this, user, resync, w = std::make_shared<Waiter>(std::move(waiter))](redisReply* r) {
                        auto entries = parse_entries(r);
                        asio::post(executor_, [this, user, resync, w, entries = std::move(entries)]() mutable {
                            auto& u = users_[user];
                            --u.reads;
                            if (!entries) return read_failed(user, *w, "latest_state");
                            metrics_.count_stream_read(resync ? StreamReadResult::resync : StreamReadResult::latest);
                            std::reverse(entries->begin(), entries->end());
                            // An empty stream was read all the same: nothing came before now.
                            const auto up_to = entries->empty() ? StreamId{} : entries->back().id;
                            finish_read(user, *w, *entries, up_to, /*resumed=*/false);
                        });
                    });
}

void ShardedSubscriptions::read_failed(const std::string& user, Waiter& waiter, std::string_view purpose) {
    metrics_.count_stream_read(StreamReadResult::failed);
    log::warn("redis_stream_read_failed", {{"user", user}, {"purpose", purpose}});
    finish_read(user, waiter, {}, std::nullopt, /*resumed=*/false);
}

void ShardedSubscriptions::finish_read(const std::string& user, Waiter& waiter, const std::vector<Entry>& entries,
                                       std::optional<StreamId> read_up_to, bool resumed) {
    auto& u = users_[user];
    // Each entry is validated once, for the shards and the backlog alike. What the read holds
    // past hwm has not reached the shards: it goes now, to the sockets already registered (its
    // live copy, if it comes, is dropped). With no hwm yet, no socket of the user has registered
    // since the subscription: the read sets where live delivery starts. A failed read (no
    // read_up_to) leaves hwm as it was.
    // For a latest state, the rest is only sketched: most of it (notifications, progress a newer
    // one replaces) is never sent, and latest_state validates what it chooses.
    const bool baseline = read_up_to && !u.hwm;
    std::vector<Read> read;
    read.reserve(entries.size());
    for (const auto& e : entries) {
        const bool fresh = read_up_to && u.hwm && e.id > *u.hwm;
        auto d = fresh || resumed ? sink_.take(e.channel, e.message, e.id, /*live=*/fresh)
                                  : sink_.sketch(e.channel, e.message, e.id);
        if (fresh) hand_off(u, e.id, d);
        if (d) read.push_back(Read{e.id, std::move(d), &e});
    }
    if (baseline) u.hwm = *read_up_to;
    StreamBacklog backlog;
    backlog.resumed = resumed;
    // Handed off after the read was taken, so not in it: the newest part of the backlog.
    for (const auto& [id, d] : u.recorded)
        if (!read_up_to || id > *read_up_to) read.push_back(Read{id, d, nullptr});
    if (resumed) {
        for (auto& r : read)
            if (admits(waiter.project_filter, *r.delivery)) backlog.messages.push_back(std::move(r.delivery));
    } else {
        backlog.messages = latest_state(user, std::move(read), waiter.project_filter);
    }
    if (u.reads == 0) u.recorded.clear();
    sink_.flush();
    waiter.done(std::move(backlog));
}

std::vector<std::shared_ptr<const Delivery>> ShardedSubscriptions::latest_state(const std::string& user,
                                                                                std::vector<Read> read,
                                                                                std::string_view project_filter) {
    // The rules of patterns mode's cache (newest per project of the payload, completed ones kept
    // for less long, the filter on the payload's project), fed in stream order with each
    // message's age by the server's clock. A message kept raw is filed under its sketched type
    // and project and validated only if it is still there at the end, as patterns mode does
    // (an invalid one is dropped then, counted and logged).
    LastStateCache<Read> cache(options_.replay);
    const auto now = Clock::now();
    const auto wall = std::chrono::system_clock::now();
    for (auto& r : read) {
        const auto type = r.delivery->outbound.type;
        if (type != MessageType::project_progress && type != MessageType::project_completed) continue;
        const auto age = std::max(std::chrono::system_clock::duration::zero(), wall - r.id.time());
        const std::string project = r.delivery->outbound.project_id;
        cache.put(user, project, std::move(r), type == MessageType::project_completed,
                  now - std::chrono::duration_cast<Clock::duration>(age));
    }
    cache.validate_kept_raw(user, [this](Read& r) {
        if (!r.delivery->kept_raw) return true;
        r.delivery = sink_.take(r.entry->channel, r.entry->message, r.id, /*live=*/false);
        return r.delivery != nullptr;
    });
    std::vector<std::shared_ptr<const Delivery>> out;
    for (auto& r : cache.get(user, project_filter, now)) out.push_back(std::move(r.delivery));
    return out;
}

}  // namespace wsgw
