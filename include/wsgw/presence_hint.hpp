#pragma once
// Whether a user may have a socket registered on any I/O thread of this instance, readable from
// the subscriber's thread without touching the threads' registries.
//
// A fixed table of counters indexed by a hash of the user id, raised at registration and lowered
// at unregistration. A zero means "nobody of that hash is held here" only as of the read: the
// hint decides where a message is validated (at once, or raw on each thread), never whether it
// is delivered. Each thread still decides exactly from its own registry (see Shard::deliver), so
// a socket that registers while a raw message is on its way still gets it, once.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace wsgw {

class PresenceHint {
public:
    static constexpr std::size_t kSlots = 1 << 14;  // 64 KiB; collisions only cost a validation

    void add(std::string_view user) noexcept { slot(user).fetch_add(1, std::memory_order_relaxed); }
    void remove(std::string_view user) noexcept { slot(user).fetch_sub(1, std::memory_order_relaxed); }
    bool maybe_held(std::string_view user) const noexcept {
        return slots_[index(user)].load(std::memory_order_relaxed) != 0;
    }

private:
    static std::size_t index(std::string_view user) noexcept {
        return std::hash<std::string_view>{}(user) & (kSlots - 1);
    }
    std::atomic<std::uint32_t>& slot(std::string_view user) noexcept { return slots_[index(user)]; }

    std::array<std::atomic<std::uint32_t>, kSlots> slots_{};
};

}  // namespace wsgw
