#pragma once
// The latest progress message per (user, project), for replay to sockets as they connect.
//
// Pub/Sub keeps nothing: a browser that reconnects (a deploy drain, a load-balancer timeout, a
// tunnel) would show a stale progress bar until the next update. This cache holds the newest
// project_progress or project_completed of each project, bounded in entries (the least recently
// updated is evicted first) and in time (completed projects expire sooner). Pure and
// single-threaded: each I/O thread keeps its own copy, fed by the fan-out it already receives.
// A value may be a message kept raw, filed under its sketched project; validate_kept_raw() swaps it for the
// validated message (or drops it) before the user's entries are read.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wsgw {

struct ReplayLimits {
    std::size_t max_entries = 100'000;  // 0: the cache keeps nothing
    std::chrono::seconds ttl{3600};
    std::chrono::seconds completed_ttl{300};
};

template <class Value>
class LastStateCache {
public:
    using Clock = std::chrono::steady_clock;

    explicit LastStateCache(ReplayLimits limits) : limits_(limits) {}

    void put(std::string_view user, std::string_view project, Value value, bool completed, Clock::time_point now) {
        if (limits_.max_entries == 0) return;
        auto expires = now + (completed ? limits_.completed_ttl : limits_.ttl);
        auto u = users_.find(user);  // no key string is built for a user already cached
        if (u == users_.end()) u = users_.emplace(std::string(user), ProjectIndex{}).first;
        auto& projects = u->second;
        auto it = projects.find(project);
        if (it != projects.end()) {
            auto entry = it->second;
            entry->value = std::move(value);
            entry->expires = expires;
            entry->seq = ++seq_;
            lru_.splice(lru_.begin(), lru_, entry);
        } else {
            lru_.push_front(Entry{std::string(user), std::string(project), std::move(value), expires, ++seq_});
            projects.emplace(std::string(project), lru_.begin());
        }
        // The least recently updated entries sit at the back: evict past the bound, and drop
        // what has expired there on the way.
        while (!lru_.empty() && (lru_.size() > limits_.max_entries || lru_.back().expires <= now)) erase(std::prev(lru_.end()));
    }

    // The live entries of `user`, oldest update first; a non-empty `project` keeps only that
    // project's. Expired entries found on the way are removed.
    std::vector<Value> get(std::string_view user, std::string_view project, Clock::time_point now) {
        std::vector<Value> out;
        auto u = users_.find(user);
        if (u == users_.end()) return out;
        std::vector<typename List::iterator> alive, expired;
        for (auto& [name, entry] : u->second) {
            if (!project.empty() && name != project) continue;
            (entry->expires <= now ? expired : alive).push_back(entry);
        }
        for (auto e : expired) erase(e);
        std::sort(alive.begin(), alive.end(), [](auto a, auto b) { return a->seq < b->seq; });
        out.reserve(alive.size());
        for (auto e : alive) out.push_back(e->value);
        return out;
    }

    // Calls validate_kept_raw(value) on each entry of `user`: it may replace the value in place (a message
    // kept raw by its validated form) and returns false to drop the entry (the message was
    // invalid). Recency and expiry stay as they were.
    template <class Validate>
    void validate_kept_raw(std::string_view user, Validate&& validate_kept_raw) {
        auto u = users_.find(user);
        if (u == users_.end()) return;
        std::vector<typename List::iterator> invalid;
        for (auto& [name, entry] : u->second)
            if (!validate_kept_raw(entry->value)) invalid.push_back(entry);
        for (auto e : invalid) erase(e);
    }

    std::size_t size() const noexcept { return lru_.size(); }

private:
    struct Entry {
        std::string user;
        std::string project;
        Value value;
        Clock::time_point expires;
        std::uint64_t seq;
    };
    using List = std::list<Entry>;
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    using ProjectIndex = std::unordered_map<std::string, typename List::iterator, Hash, std::equal_to<>>;

    void erase(typename List::iterator entry) {
        auto u = users_.find(entry->user);
        if (u != users_.end()) {
            u->second.erase(entry->project);
            if (u->second.empty()) users_.erase(u);
        }
        lru_.erase(entry);
    }

    ReplayLimits limits_;
    List lru_;  // most recently updated first
    std::unordered_map<std::string, ProjectIndex, Hash, std::equal_to<>> users_;
    std::uint64_t seq_ = 0;
};

}  // namespace wsgw
