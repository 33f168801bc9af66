#include "net/auth_state.hpp"

namespace wsgw {

AuthResult AuthState::verify(std::string_view token, std::chrono::system_clock::time_point now) const {
    auto config = current();
    auto result = verify_token(token, *config, now);
    if (!result.ok() && result.failure() == AuthFailure::unknown_key && unknown_key_) unknown_key_();
    return result;
}

}  // namespace wsgw
