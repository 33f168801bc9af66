#include "wsgw/connection_limits.hpp"

namespace wsgw {

std::string_view to_string(Admission a) noexcept {
    switch (a) {
        case Admission::admitted: return "admitted";
        case Admission::over_total: return "over_total";
        case Admission::over_user: return "over_user";
        case Admission::over_address: return "over_address";
    }
    return "unknown";
}

Admission ConnectionLimiter::try_acquire(std::string_view user, std::string_view address) {
    std::lock_guard lock(mutex_);
    if (total_ >= caps_.total) return Admission::over_total;
    auto u = users_.find(user);
    if (u != users_.end() && u->second >= caps_.per_user) return Admission::over_user;
    auto a = addresses_.find(address);
    if (a != addresses_.end() && a->second >= caps_.per_address) return Admission::over_address;
    ++total_;
    if (u == users_.end()) users_.emplace(std::string(user), 1); else ++u->second;
    if (a == addresses_.end()) addresses_.emplace(std::string(address), 1); else ++a->second;
    return Admission::admitted;
}

void ConnectionLimiter::decrement(Counts& counts, std::string_view key) {
    auto it = counts.find(key);
    if (it == counts.end()) return;
    if (--it->second == 0) counts.erase(it);  // idle keys cost nothing
}

void ConnectionLimiter::release(std::string_view user, std::string_view address) {
    std::lock_guard lock(mutex_);
    if (total_ > 0) --total_;
    decrement(users_, user);
    decrement(addresses_, address);
}

std::size_t ConnectionLimiter::total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

std::size_t ConnectionLimiter::for_user(std::string_view user) const {
    std::lock_guard lock(mutex_);
    auto it = users_.find(user);
    return it == users_.end() ? 0 : it->second;
}

std::size_t ConnectionLimiter::for_address(std::string_view address) const {
    std::lock_guard lock(mutex_);
    auto it = addresses_.find(address);
    return it == addresses_.end() ? 0 : it->second;
}

}  // namespace wsgw
