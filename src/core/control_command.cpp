#include "wsgw/control_command.hpp"

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "wsgw/channel.hpp"
#include "wsgw/unix_time.hpp"

namespace wsgw {

namespace {

using json = nlohmann::json;
using F = ControlError;

// Later than any token a deployment issues today, early enough to fit every clock type.
constexpr double kMaxUnixSeconds = 1e11;

}  // namespace

std::string_view to_string(ControlAction a) noexcept {
    return a == ControlAction::revoke ? "revoke" : "disconnect";
}

std::string_view to_string(ControlError e) noexcept {
    static constexpr std::array<std::string_view, kControlErrorCount> kNames = {
        "too_large", "not_json", "not_object", "missing_action", "unknown_action", "bad_user", "bad_jti", "bad_exp"};
    return kNames[static_cast<std::size_t>(e)];
}

ControlParse parse_control_command(std::string_view payload) {
    if (payload.size() > kMaxControlCommandBytes)
        return ControlParse::failure(F::too_large, "over " + std::to_string(kMaxControlCommandBytes) + " bytes");
    auto doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return ControlParse::failure(F::not_json, "payload is not JSON");
    if (!doc.is_object()) return ControlParse::failure(F::not_object, "payload is not a JSON object");
    auto action = doc.find("action");
    if (action == doc.end() || !action->is_string())
        return ControlParse::failure(F::missing_action, "\"action\" must be a string");
    const auto& name = action->get_ref<const std::string&>();

    ControlCommand cmd;
    if (name == "disconnect") {
        auto user = doc.find("user");
        if (user == doc.end() || !user->is_string() || !is_valid_id(user->get_ref<const std::string&>()))
            return ControlParse::failure(F::bad_user, "\"user\" must be 1-64 characters of [A-Za-z0-9_-]");
        cmd.action = ControlAction::disconnect;
        cmd.user = user->get<std::string>();
        return ControlParse::success(std::move(cmd));
    }
    if (name == "revoke") {
        auto jti = doc.find("jti");
        if (jti == doc.end() || !jti->is_string() || jti->get_ref<const std::string&>().empty() ||
            jti->get_ref<const std::string&>().size() > kMaxTokenIdBytes)
            return ControlParse::failure(F::bad_jti,
                                         "\"jti\" must be a string of 1-" + std::to_string(kMaxTokenIdBytes) + " bytes");
        auto exp = doc.find("exp");
        if (exp == doc.end() || !exp->is_number())
            return ControlParse::failure(F::bad_exp, "\"exp\" must be the token's expiry in unix seconds");
        const double seconds = exp->get<double>();
        if (!std::isfinite(seconds) || seconds <= 0 || seconds > kMaxUnixSeconds)
            return ControlParse::failure(F::bad_exp, "\"exp\" is not a plausible unix time");
        cmd.action = ControlAction::revoke;
        cmd.jti = jti->get<std::string>();
        // Rounded up so the token is never outlived, and clamped where tokens' own exp is: the
        // usual "never expires" (9999999999) is past what a time point holds.
        cmd.exp = *from_unix_seconds(std::ceil(seconds));
        return ControlParse::success(std::move(cmd));
    }
    return ControlParse::failure(F::unknown_action, "unknown action");
}

}  // namespace wsgw
