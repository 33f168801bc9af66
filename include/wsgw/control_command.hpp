#pragma once
// Commands the backend publishes on the control channel (control_channel, default wsgw:control)
// to act on every gateway instance at once:
//   {"action":"disconnect","user":"u1"}                    close every socket of u1 (4003)
//   {"action":"revoke","jti":"<token id>","exp":<unix s>}  close sockets authenticated with that
//                                                          token and refuse it (401) until exp
// Parsing and validation only: the gateway acts on what comes out. Unknown fields are ignored,
// so commands can grow without breaking older instances.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

enum class ControlAction { disconnect, revoke };
inline constexpr std::size_t kControlActionCount = 2;
std::string_view to_string(ControlAction a) noexcept;

enum class ControlError {
    too_large,       // over kMaxControlCommandBytes
    not_json,
    not_object,
    missing_action,  // no "action", or not a string
    unknown_action,
    bad_user,        // disconnect: "user" missing or not a valid id
    bad_jti,         // revoke: "jti" missing, empty, not a string, or over kMaxTokenIdBytes
    bad_exp,         // revoke: "exp" missing, not a number, or not a plausible unix time
};
inline constexpr std::size_t kControlErrorCount = 8;
std::string_view to_string(ControlError e) noexcept;

// A command is a few dozen bytes; anything far larger is not one.
inline constexpr std::size_t kMaxControlCommandBytes = 4096;
// Token ids (the JWT "jti" claim) longer than this are not revocable: a deny-list entry's size
// stays bounded whatever a publisher sends.
inline constexpr std::size_t kMaxTokenIdBytes = 256;

struct ControlCommand {
    ControlAction action = ControlAction::disconnect;
    std::string user;                            // disconnect
    std::string jti;                             // revoke
    std::chrono::system_clock::time_point exp;   // revoke
};

class ControlParse {
public:
    static ControlParse success(ControlCommand c) { return ControlParse(std::move(c)); }
    static ControlParse failure(ControlError e, std::string detail) { return ControlParse(e, std::move(detail)); }
    bool ok() const noexcept { return command_.has_value(); }
    const ControlCommand& command() const { return *command_; }
    ControlError error() const noexcept { return error_; }
    const std::string& detail() const noexcept { return detail_; }

private:
    explicit ControlParse(ControlCommand c) : command_(std::move(c)) {}
    ControlParse(ControlError e, std::string detail) : error_(e), detail_(std::move(detail)) {}
    std::optional<ControlCommand> command_;
    ControlError error_ = ControlError::not_json;
    std::string detail_;
};

ControlParse parse_control_command(std::string_view payload);

}  // namespace wsgw
