#pragma once
// A bounded window of recent messages per user, so a client that reconnects with the id of the
// last message it saw (`last_id`) gets what it missed, on any instance: every instance receives
// every message, so every instance can keep the same window.
//
// Bounds: age (`window`), messages per user (`max_messages_per_user`), and bytes over all users
// (`max_bytes`, counting each message's frame plus a fixed overhead per entry and per user); the
// oldest entries go first and every eviction is counted. A project_progress replaces the user's
// previous progress of the same project (never across a project_completed of it): the replaced
// entry stays as a marker holding only its id, so a client whose last message was that progress
// still resumes from there, and progress floods take one message slot per project (markers have
// a bound of their own, kMarkersPerMessage times the message bound).
//
// Pure and single-threaded: each I/O thread keeps its own window, fed by the fan-out it already
// receives, so registration, resume and live delivery on that thread are ordered without locks.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wsgw/message.hpp"

namespace wsgw {

struct ResumeLimits {
    std::chrono::seconds window{300};
    std::size_t max_messages_per_user = 256;
    std::size_t max_bytes = 64 * 1024 * 1024;
    bool enabled() const noexcept { return window.count() > 0 && max_messages_per_user > 0 && max_bytes > 0; }
};

// What the window needs to know of a message besides the message itself.
struct RetainedMeta {
    std::string_view id;
    std::string_view channel_project;  // the channel's project id: what a project filter matches
    std::string_view payload_project;  // the payload's project id: what progress is coalesced by
    MessageType type = MessageType::notification;
    std::size_t bytes = 0;             // the frame's size
};

template <class Item>
class ResumeWindow {
public:
    using Clock = std::chrono::steady_clock;

    explicit ResumeWindow(ResumeLimits limits) : limits_(limits) {}

    void put(std::string_view user, Item item, const RetainedMeta& meta, Clock::time_point now) {
        if (!limits_.enabled()) return;
        expire(now);
        auto u = users_.find(user);
        if (u == users_.end()) {
            u = users_.emplace(std::string(user), UserWindow{}).first;
            bytes_ += kUserOverhead;
        }
        UserWindow& w = u->second;
        if (meta.type == MessageType::project_progress && !meta.payload_project.empty()) {
            if (auto p = w.latest_progress.find(meta.payload_project); p != w.latest_progress.end()) {
                if (Entry* previous = w.at(p->second); previous && previous->item) {
                    // The replaced progress becomes a marker: its id stays findable, its bytes go.
                    bytes_ -= previous->bytes - previous->id.size();
                    previous->bytes = previous->id.size();
                    previous->item.reset();
                    --w.live;
                    --live_;
                    ++w.markers;
                    ++coalesced_;
                }
            }
        }
        const std::uint64_t seq = w.next_seq++;
        // The frame, and the entry's own strings as if none fit inside the string object.
        const std::size_t counted = meta.bytes + meta.id.size() + meta.channel_project.size();
        w.entries.push_back(Entry{std::move(item), std::string(meta.id), std::string(meta.channel_project), now,
                                  counted, seq});
        ++w.live;
        ++live_;
        bytes_ += counted + kEntryOverhead;
        order_.push_back(Ref{&u->first, seq});
        bytes_ += sizeof(Ref);
        ++w.refs;
        if (meta.type == MessageType::project_progress && !meta.payload_project.empty()) {
            w.latest_progress[std::string(meta.payload_project)] = seq;
            // Projects whose latest progress has left the window need no entry here.
            if (w.latest_progress.size() > limits_.max_messages_per_user)
                std::erase_if(w.latest_progress, [&w](const auto& p) { return w.at(p.second) == nullptr; });
        } else if (meta.type == MessageType::project_completed) {
            w.latest_progress.erase(std::string(meta.payload_project));  // never coalesce across it
        }

        // Per user: the oldest go first, past the message bound or past kMarkersPerMessage times
        // as many markers (a marker is an id and a few words: a progress bar may tick for a while).
        while (w.live > limits_.max_messages_per_user || w.markers > kMarkersPerMessage * limits_.max_messages_per_user) {
            pop_front(w);
            ++evictions_;
        }
        // Over all users: the oldest entries of the whole window go first.
        while (bytes_ > limits_.max_bytes && !order_.empty()) evict_oldest(/*count=*/true);
    }

    // What `user` missed since the message `last_id`, oldest first, only what a socket filtered
    // on `project_filter` (empty: none) receives. nullopt when `last_id` is not in the window
    // (older than it, never seen here, or this instance restarted since).
    std::optional<std::vector<Item>> since(std::string_view user, std::string_view last_id,
                                           std::string_view project_filter, Clock::time_point now) {
        expire(now);
        auto u = users_.find(user);
        if (u == users_.end() || last_id.empty()) return std::nullopt;
        const auto& entries = u->second.entries;
        // The latest entry with that id: byte-identical publishes share an id (wsgw/message_id.hpp).
        std::size_t i = entries.size();
        while (i > 0 && entries[i - 1].id != last_id) --i;
        if (i == 0) return std::nullopt;
        std::vector<Item> out;
        for (; i < entries.size(); ++i) {
            const Entry& e = entries[i];
            if (!e.item) continue;
            if (!project_filter.empty() && !e.channel_project.empty() && e.channel_project != project_filter) continue;
            out.push_back(e.item);
        }
        return out;
    }

    std::size_t messages() const noexcept { return live_; }
    std::size_t bytes() const noexcept { return bytes_; }
    std::size_t users() const noexcept { return users_.size(); }
    std::uint64_t evictions() const noexcept { return evictions_; }
    std::uint64_t coalesced() const noexcept { return coalesced_; }

private:
    struct Entry {
        Item item;  // empty for a marker
        std::string id;
        std::string channel_project;
        Clock::time_point at;
        std::size_t bytes;
        std::uint64_t seq;
    };
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct UserWindow {
        std::deque<Entry> entries;  // seq order, contiguous: entries[i].seq == entries.front().seq + i
        std::uint64_t next_seq = 0;
        std::size_t live = 0;
        std::size_t markers = 0;
        std::size_t refs = 0;  // places in order_ that name this user
        std::unordered_map<std::string, std::uint64_t, Hash, std::equal_to<>> latest_progress;
        Entry* at(std::uint64_t seq) {
            if (entries.empty() || seq < entries.front().seq) return nullptr;
            auto i = seq - entries.front().seq;
            return i < entries.size() ? &entries[i] : nullptr;
        }
    };
    using Users = std::unordered_map<std::string, UserWindow, Hash, std::equal_to<>>;

public:
    // Bytes counted on top of the frames: each entry, and each user's map node, queue and its
    // first block (libstdc++ allocates 512 bytes for a deque's first elements).
    static constexpr std::size_t kEntryOverhead = sizeof(Entry);
    static constexpr std::size_t kMarkersPerMessage = 8;
    static constexpr std::size_t kUserOverhead = sizeof(typename Users::value_type) + 64 + 512;

private:
    // Every entry in arrival order (so also age order), naming its user by the map's key, which
    // stays put while the user is in the map.
    struct Ref {
        const std::string* user;
        std::uint64_t seq;
    };

    void pop_front(UserWindow& w) {
        Entry& e = w.entries.front();
        if (e.item) {
            --w.live;
            --live_;
        } else {
            --w.markers;
        }
        bytes_ -= e.bytes + kEntryOverhead;
        w.entries.pop_front();
    }

    // Drops the oldest entry of the whole window (unless its user already dropped it).
    void evict_oldest(bool count) {
        Ref ref = order_.front();
        order_.pop_front();
        bytes_ -= sizeof(Ref);
        auto u = users_.find(*ref.user);
        UserWindow& w = u->second;
        if (!w.entries.empty() && w.entries.front().seq == ref.seq) {
            pop_front(w);
            if (count) ++evictions_;
        }
        if (--w.refs == 0 && w.entries.empty()) {
            bytes_ -= kUserOverhead;
            users_.erase(u);
        }
    }

    void expire(Clock::time_point now) {
        while (!order_.empty()) {
            auto u = users_.find(*order_.front().user);
            const UserWindow& w = u->second;
            const bool dropped = w.entries.empty() || w.entries.front().seq != order_.front().seq;
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
};

}  // namespace wsgw
