#pragma once
// A bounded window of recent messages per user, so a client that reconnects with the id of the
// last message it saw (`last_id`) gets what it missed, on any instance: every instance receives
// every message, so every instance can keep the same window.
//
// Bounds: age (`window`), messages per user (`max_messages_per_user`), and bytes over all users
// (`max_bytes`, counting each message's frame plus each entry's and each user's bookkeeping); the
// oldest entries go first and every eviction is counted. A project_progress replaces the user's
// previous progress of the same project (never across a project_completed of it): the replaced
// entry stays as a marker holding only its id, so a client whose last message was that progress
// still resumes from there, and progress floods take one message slot per project (markers have
// a bound of their own, kMarkersPerMessage times the message bound).
//
// Pure and single-threaded (the process keeps one, behind a lock: net/shared_resume_window.hpp).
// Every message filed gets an arrival number, returned by put(); readers pass `up_to`, the number
// of the last message their thread has fanned out, and see only messages up to it: what came
// later reaches their sockets live, so across the seam between resume and live delivery none is
// lost or sent twice. An entry is small (the item's own id and project are read through
// `Traits`, not copied) and expiry needs no lookup.
//
// Items may be kept raw: not validated yet, their id unknown (wsgw/message_sketch.hpp).
// They are filed under the meta their sketch gave and count against every bound like any other
// (a raw message's bytes stand for its frame's); validate_kept_raw(user) validates a user's items kept raw
// before anything reads that user's window (since, holds). A progress kept raw replaced by a
// newer one keeps its item until then (its id is needed as a marker; its bytes stay counted).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wsgw/fnv1a.hpp"
#include "wsgw/message.hpp"

namespace wsgw {

struct ResumeLimits {
    std::chrono::seconds window{300};
    std::size_t max_messages_per_user = 256;
    std::size_t max_bytes = 64 * 1024 * 1024;
    bool enabled() const noexcept { return window.count() > 0 && max_messages_per_user > 0 && max_bytes > 0; }
};

// What the window needs to know of a message as it arrives.
struct RetainedMeta {
    std::string_view payload_project;  // the payload's project id: what progress is coalesced by
    MessageType type = MessageType::notification;
    std::size_t bytes = 0;             // the frame's size
};

// Traits::id(item) and Traits::channel_project(item) (what a project filter matches; empty for a
// user-wide message) read the item's own strings. Windows that hold items kept raw also have
// Traits::kept_raw(item) and Traits::bytes(item) (the frame's size once validated).
template <class Item, class Traits>
class ResumeWindow {
public:
    using Clock = std::chrono::steady_clock;

    // Arrival numbers start at 1; kAll reads every message filed.
    static constexpr std::uint64_t kAll = UINT64_MAX;

    explicit ResumeWindow(ResumeLimits limits) : limits_(limits) {}

    // Files `item` and returns its arrival number (0 when resume is off: nothing is filed).
    std::uint64_t put(std::string_view user, Item item, const RetainedMeta& meta, Clock::time_point now) {
        if (!limits_.enabled()) return 0;
        expire(now);
        const std::uint64_t arrival = ++arrivals_;
        auto u = users_.find(user);
        if (u == users_.end()) {
            u = users_.emplace(std::string(user), UserWindow{}).first;
            bytes_ += kUserOverhead;
        }
        UserWindow& w = u->second;
        const bool progress = meta.type == MessageType::project_progress && !meta.payload_project.empty();
        if (progress) {
            if (auto p = w.latest_progress.find(meta.payload_project); p != w.latest_progress.end())
                if (Entry* previous = w.at(p->second); previous && previous->item && !previous->superseded)
                    to_marker(w, *previous);
        }
        const std::uint64_t seq = w.front_seq + w.entries.size();
        w.entries.push_back(Entry{std::move(item), nullptr, now, arrival, static_cast<std::uint32_t>(meta.bytes)});
        ++w.live;
        ++live_;
        bytes_ += meta.bytes + kEntryOverhead + sizeof(Ref);
        order_.push_back(Ref{&u->second, &u->first, seq});
        ++w.refs;
        if (progress) {
            w.latest_progress[std::string(meta.payload_project)] = seq;
            // Projects whose latest progress has left the window need no entry here.
            if (w.latest_progress.size() > limits_.max_messages_per_user)
                std::erase_if(w.latest_progress, [&w](const auto& p) { return w.at(p.second) == nullptr; });
        } else if (meta.type == MessageType::project_completed && !w.latest_progress.empty()) {
            w.latest_progress.erase(std::string(meta.payload_project));  // never coalesce across it
        }

        // Per user: the oldest go first, past the message bound or past kMarkersPerMessage times
        // as many markers (a marker is an id and a few words: a progress bar may tick for a while).
        while (w.live > limits_.max_messages_per_user || w.markers > kMarkersPerMessage * limits_.max_messages_per_user) {
            pop_front(w, u->first);
            ++evictions_;
        }
        // Over all users: the oldest entries of the whole window go first.
        while (bytes_ > limits_.max_bytes && !order_.empty()) evict_oldest(/*count=*/true);
        return arrival;
    }

    // What `user` missed since the message `last_id`, oldest first, only what a socket filtered
    // on `project_filter` (empty: none) receives, and only messages up to arrival `up_to`.
    // nullopt when `last_id` is not in the window up to there (older than the window, never seen
    // here, not fanned out to the reader's thread yet, or this instance restarted since).
    std::optional<std::vector<Item>> since(std::string_view user, std::string_view last_id,
                                           std::string_view project_filter, Clock::time_point now,
                                           std::uint64_t up_to = kAll) {
        expire(now);
        auto u = users_.find(user);
        if (u == users_.end() || last_id.empty()) return std::nullopt;
        const auto& entries = u->second.entries;
        const std::size_t end = visible_end(entries, up_to);
        // The latest entry with that id: byte-identical publishes share an id (wsgw/message_id.hpp).
        std::size_t i = end;
        while (i > 0 && id_of(entries[i - 1]) != last_id) --i;
        if (i == 0) return std::nullopt;
        std::vector<Item> out;
        for (; i < end; ++i) {
            const Entry& e = entries[i];
            if (!e.item || e.superseded) continue;
            const std::string_view project = Traits::channel_project(e.item);
            if (!project_filter.empty() && !project.empty() && project != project_filter) continue;
            out.push_back(e.item);
        }
        return out;
    }

    // Whether the message `id` of `user` is in the window (as a message or a marker), up to
    // arrival `up_to`.
    bool holds(std::string_view user, std::string_view id, std::uint64_t up_to = kAll) const {
        auto u = users_.find(user);
        if (u == users_.end()) return false;
        const auto& entries = u->second.entries;
        for (std::size_t i = visible_end(entries, up_to); i > 0; --i)
            if (id_of(entries[i - 1]) == id) return true;
        return false;
    }

    // Whether the message `id` of `user` can no longer be resumed from on this window: resume is
    // off, or the id was held and has been evicted or expired recently. A client that names such
    // an id gets its resync at once; waiting for it (it may not have arrived yet) is for ids
    // this window has never seen. Recently: the last kEvictedSlots evictions, as 64-bit
    // fingerprints in a table of fixed size (a later eviction may take an earlier one's slot,
    // and then that id is waited for as an unknown one, never wrongly refused).
    bool gone(std::string_view user, std::string_view id) const {
        if (!limits_.enabled()) return true;
        const auto fp = fingerprint(user, id);
        return evicted_[fp % kEvictedSlots] == fp;
    }

    // Validates the items kept raw of `user`, oldest first: validate(item) replaces a items kept raw
    // with its validated form and returns true, or returns false when the message is invalid.
    // An invalid message leaves a marker no id matches; a replaced progress becomes a marker of
    // its id. Settling may grow the bytes (a frame is a little larger than its payload), so the
    // byte bound is applied again.
    template <class Validate>
    void validate_kept_raw(std::string_view user, Validate&& validate) {
        auto u = users_.find(user);
        if (u == users_.end()) return;
        UserWindow& w = u->second;
        for (Entry& e : w.entries) {
            if (!e.item || !Traits::kept_raw(e.item)) continue;
            const bool valid = validate(e.item);
            if (valid && !e.superseded) {
                bytes_ -= e.bytes;
                e.bytes = static_cast<std::uint32_t>(Traits::bytes(e.item));
                bytes_ += e.bytes;
                continue;
            }
            bytes_ -= e.bytes;
            e.marker = std::make_unique<std::string>(valid ? std::string(Traits::id(e.item)) : std::string());
            bytes_ += kMarkerOverhead + e.marker->size();
            e.bytes = 0;
            e.item = Item{};
            if (!e.superseded) {
                --w.live;
                --live_;
                ++w.markers;
            }
            e.superseded = false;
        }
        while (bytes_ > limits_.max_bytes && !order_.empty()) evict_oldest(/*count=*/true);
    }

    bool enabled() const noexcept { return limits_.enabled(); }
    std::size_t messages() const noexcept { return live_; }
    std::size_t bytes() const noexcept { return bytes_; }
    std::size_t users() const noexcept { return users_.size(); }
    std::uint64_t evictions() const noexcept { return evictions_; }
    std::uint64_t coalesced() const noexcept { return coalesced_; }

private:
    struct Entry {
        Item item;                            // empty for a marker
        std::unique_ptr<std::string> marker;  // a marker's id (the item that held it is gone)
        Clock::time_point at;
        std::uint64_t arrival;                // put()'s number for it
        std::uint32_t bytes;                  // the frame's size while the item is held
        bool superseded = false;              // a progress kept raw replaced before it was validated
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct UserWindow {
        std::deque<Entry> entries;  // arrival order; entries[i] has sequence number front_seq + i
        std::uint64_t front_seq = 0;
        std::size_t live = 0;
        std::size_t markers = 0;
        std::size_t refs = 0;  // places in order_ that name this user
        std::unordered_map<std::string, std::uint64_t, Hash, std::equal_to<>> latest_progress;
        Entry* at(std::uint64_t seq) {
            if (seq < front_seq || seq - front_seq >= entries.size()) return nullptr;
            return &entries[seq - front_seq];
        }
    };
    using Users = std::unordered_map<std::string, UserWindow, Hash, std::equal_to<>>;
    // Every entry in arrival order (so also age order). Map nodes do not move while the user is
    // in the map, so the window and its key are held by address.
    struct Ref {
        UserWindow* window;
        const std::string* user;
        std::uint64_t seq;
    };

public:
    // Bytes counted on top of the frames: each entry, and each user's map node, queue and its
    // first block (libstdc++ allocates 512 bytes for a deque's first elements).
    static constexpr std::size_t kEntryOverhead = sizeof(Entry);
    static constexpr std::size_t kUserOverhead = sizeof(typename Users::value_type) + 64 + 512;
    static constexpr std::size_t kMarkersPerMessage = 8;
    // A marker's own bytes: its id string on the heap.
    static constexpr std::size_t kMarkerOverhead = sizeof(std::string) + 16;
    // Evicted ids remembered for gone(): 4096 fingerprints, 32 KiB per window, allocated with it.
    static constexpr std::size_t kEvictedSlots = 4096;

private:
    // How many of a user's entries (oldest first) arrived up to `up_to`: those arriving later
    // sit at the back, and there are few (a batch in flight to a thread), so it counts from there.
    template <class Entries>
    static std::size_t visible_end(const Entries& entries, std::uint64_t up_to) {
        std::size_t end = entries.size();
        while (end > 0 && entries[end - 1].arrival > up_to) --end;
        return end;
    }

    // A items kept raw's id is empty until it is validated: no last_id matches it.
    static std::string_view id_of(const Entry& e) { return e.marker ? std::string_view(*e.marker) : Traits::id(e.item); }

    static bool kept_raw(const Item& item) {
        if constexpr (requires { Traits::kept_raw(item); })
            return Traits::kept_raw(item);
        else
            return false;
    }

    void to_marker(UserWindow& w, Entry& e) {
        if (kept_raw(e.item)) {
            // Its id is not known yet: the item stays, counted as a marker, until validate_kept_raw().
            e.superseded = true;
            --w.live;
            --live_;
            ++w.markers;
            ++coalesced_;
            return;
        }
        // The replaced progress becomes a marker: its id stays findable, its frame goes.
        e.marker = std::make_unique<std::string>(Traits::id(e.item));
        bytes_ -= e.bytes;
        bytes_ += kMarkerOverhead + e.marker->size();
        e.bytes = 0;
        e.item = Item{};
        --w.live;
        --live_;
        ++w.markers;
        ++coalesced_;
    }

    static std::uint64_t fingerprint(std::string_view user, std::string_view id) noexcept {
        std::uint64_t h = kFnv1aOffset;
        fnv1a(h, user);
        fnv1a(h, std::string_view("\0", 1));
        fnv1a(h, id);
        return h == 0 ? 1 : h;  // 0 marks an empty slot
    }

    // Drops the user's oldest entry. `user` is given to remember its id as evicted (gone()).
    void pop_front(UserWindow& w, std::string_view user) {
        Entry& e = w.entries.front();
        if (const auto id = id_of(e); !id.empty()) {
            const auto fp = fingerprint(user, id);
            evicted_[fp % kEvictedSlots] = fp;
        }
        if (e.superseded) {
            --w.markers;
            bytes_ -= e.bytes;
        } else if (e.item) {
            --w.live;
            --live_;
            bytes_ -= e.bytes;
        } else {
            --w.markers;
            bytes_ -= kMarkerOverhead + e.marker->size();
        }
        bytes_ -= kEntryOverhead;
        w.entries.pop_front();
        ++w.front_seq;
    }

    // Drops the oldest entry of the whole window (unless its user already dropped it).
    void evict_oldest(bool count) {
        const Ref ref = order_.front();
        order_.pop_front();
        bytes_ -= sizeof(Ref);
        UserWindow& w = *ref.window;
        if (!w.entries.empty() && w.front_seq == ref.seq) {
            pop_front(w, *ref.user);
            if (count) ++evictions_;
        }
        if (--w.refs == 0 && w.entries.empty()) {
            bytes_ -= kUserOverhead;
            users_.erase(users_.find(*ref.user));
        }
    }

    void expire(Clock::time_point now) {
        while (!order_.empty()) {
            const Ref& ref = order_.front();
            const UserWindow& w = *ref.window;
            const bool dropped = w.entries.empty() || w.front_seq != ref.seq;
            if (!dropped && now - w.entries.front().at < limits_.window) break;
            evict_oldest(/*count=*/false);  // age is the window doing its job, not an eviction
        }
    }

    ResumeLimits limits_;
    Users users_;
    std::deque<Ref> order_;
    std::size_t live_ = 0;
    std::size_t bytes_ = 0;
    std::uint64_t evictions_ = 0;
    std::uint64_t coalesced_ = 0;
    std::uint64_t arrivals_ = 0;
    std::unique_ptr<std::uint64_t[]> evicted_ = std::make_unique<std::uint64_t[]>(kEvictedSlots);
};

}  // namespace wsgw
