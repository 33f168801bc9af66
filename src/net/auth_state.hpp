#pragma once
// The token-verifying material in use (secrets, public key, the JWKS key set, audience, issuer),
// read by every I/O thread while SIGHUP and the JWKS fetcher replace it. Each change publishes a
// whole new immutable AuthConfig, so a verification sees one consistent version, and the old
// one lives on until the last verification that holds it ends.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "wsgw/auth.hpp"

namespace wsgw {

class AuthState {
public:
    AuthState() : current_(std::make_shared<const AuthConfig>()) {}

    std::shared_ptr<const AuthConfig> current() const { return current_.load(std::memory_order_acquire); }
    void replace(std::shared_ptr<const AuthConfig> next) { current_.store(std::move(next), std::memory_order_release); }

    // verify_token with the material in use. A token naming a key the set lacks is refused, and
    // reported to the hook, which may bring the next key set fetch forward.
    AuthResult verify(std::string_view token, std::chrono::system_clock::time_point now) const;

    // Set before the I/O threads start; called from any of them.
    void on_unknown_key(std::function<void()> hook) { unknown_key_ = std::move(hook); }

private:
    std::atomic<std::shared_ptr<const AuthConfig>> current_;
    std::function<void()> unknown_key_;
};

}  // namespace wsgw
