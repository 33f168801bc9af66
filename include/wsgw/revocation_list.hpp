#pragma once
// Revoked token ids (the JWT "jti" claim), each refused until a time: checked at every upgrade,
// filled from the control channel and from the copy every instance keeps in Redis.
//
// Thread-safe: upgrades read it on every I/O thread while the control channel writes on one.
// A read of an empty list takes no lock. Bounded: when max_entries are held, the entry that ends
// first makes room (its token expires soonest, so refusing it matters least), and evictions are
// counted so that a deployment that needs a larger list can see it.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace wsgw {

// What a socket keeps of its token id: 8 bytes instead of the id itself, so revocation costs an
// idle socket nothing more. 0 means "no jti". Two ids with one fingerprint (odds 2^-64) would
// only close the other's sockets too; refusal at the upgrade compares the ids themselves.
std::uint64_t token_fingerprint(std::string_view jti) noexcept;

class RevocationList {
public:
    using Clock = std::chrono::system_clock;
    enum class AddResult {
        added,
        extended,   // already held with an earlier end: the later one wins
        unchanged,  // already held until then or later
        expired,    // `until` has passed: nothing to refuse
        not_kept,   // the list is full and this entry would end first: counted as an eviction
    };

    explicit RevocationList(std::size_t max_entries) : max_entries_(max_entries < 1 ? 1 : max_entries) {}

    // Refuses `jti` while now < `until`. Entries whose end has passed are dropped on the way.
    AddResult add(std::string_view jti, Clock::time_point until, Clock::time_point now);
    bool contains(std::string_view jti, Clock::time_point now) const;

    std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }
    std::uint64_t evictions() const noexcept { return evictions_.load(std::memory_order_relaxed); }
    std::size_t max_entries() const noexcept { return max_entries_; }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    void erase_locked(std::unordered_map<std::string, Clock::time_point, Hash, std::equal_to<>>::iterator it);

    const std::size_t max_entries_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, Clock::time_point, Hash, std::equal_to<>> entries_;
    // The same entries by end time; the views point at the map's keys, which never move.
    std::set<std::pair<Clock::time_point, std::string_view>> by_end_;
    std::atomic<std::size_t> size_{0};
    std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace wsgw
