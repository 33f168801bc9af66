#include "wsgw/revocation_list.hpp"

#include <mutex>

#include "wsgw/fnv1a.hpp"

namespace wsgw {

std::uint64_t token_fingerprint(std::string_view jti) noexcept {
    if (jti.empty()) return 0;
    std::uint64_t h = kFnv1aOffset;
    fnv1a(h, jti);
    return h == 0 ? 1 : h;
}

void RevocationList::erase_locked(
    std::unordered_map<std::string, Clock::time_point, Hash, std::equal_to<>>::iterator it) {
    by_end_.erase({it->second, std::string_view(it->first)});
    entries_.erase(it);
}

RevocationList::AddResult RevocationList::add(std::string_view jti, Clock::time_point until, Clock::time_point now) {
    std::unique_lock lock(mutex_);
    while (!by_end_.empty() && by_end_.begin()->first <= now) erase_locked(entries_.find(by_end_.begin()->second));
    AddResult result = AddResult::added;
    if (until <= now) {
        result = AddResult::expired;
    } else if (auto it = entries_.find(jti); it != entries_.end()) {
        if (it->second >= until) {
            result = AddResult::unchanged;
        } else {
            by_end_.erase({it->second, std::string_view(it->first)});
            it->second = until;
            by_end_.emplace(until, std::string_view(it->first));
            result = AddResult::extended;
        }
    } else if (entries_.size() >= max_entries_ && until <= by_end_.begin()->first) {
        result = AddResult::not_kept;  // it would be the first to go
        evictions_.fetch_add(1, std::memory_order_relaxed);
    } else {
        if (entries_.size() >= max_entries_) {
            erase_locked(entries_.find(by_end_.begin()->second));
            evictions_.fetch_add(1, std::memory_order_relaxed);
        }
        auto pos = entries_.emplace(std::string(jti), until).first;
        by_end_.emplace(until, std::string_view(pos->first));
    }
    size_.store(entries_.size(), std::memory_order_relaxed);
    return result;
}

bool RevocationList::contains(std::string_view jti, Clock::time_point now) const {
    if (jti.empty() || size_.load(std::memory_order_relaxed) == 0) return false;
    std::shared_lock lock(mutex_);
    auto it = entries_.find(jti);
    return it != entries_.end() && now < it->second;
}

}  // namespace wsgw
