#pragma once
// Admission of WebSocket connections: a total cap, a cap per user and a cap per client address.
// Shared by every I/O thread; called once at upgrade and once at close, never per message.
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wsgw {

struct ConnectionCaps {
    std::size_t total = 50'000;
    std::size_t per_user = 32;
    std::size_t per_address = 512;
};

enum class Admission { admitted, over_total, over_user, over_address };
std::string_view to_string(Admission a) noexcept;

class ConnectionLimiter {
public:
    explicit ConnectionLimiter(ConnectionCaps caps) : caps_(caps) {}

    // On `admitted` the caller owns one slot and must call release() with the same keys.
    Admission try_acquire(std::string_view user, std::string_view address);
    void release(std::string_view user, std::string_view address);

    std::size_t total() const;
    std::size_t for_user(std::string_view user) const;
    std::size_t for_address(std::string_view address) const;

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    using Counts = std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>>;
    static void decrement(Counts& counts, std::string_view key);

    ConnectionCaps caps_;
    mutable std::mutex mutex_;
    std::size_t total_ = 0;
    Counts users_;
    Counts addresses_;
};

}  // namespace wsgw
