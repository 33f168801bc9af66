#include "wsgw/message.hpp"

#include <array>
#include <nlohmann/json.hpp>

#include "json_scan.hpp"
#include "wsgw/message_id.hpp"
#include "wsgw/time_format.hpp"
#include "wsgw/utf8.hpp"

namespace wsgw {

namespace {

using json = nlohmann::ordered_json;  // keeps the publisher's key order in forwarded payloads

constexpr std::array<std::string_view, kMessageTypeCount> kTypeNames = {
    "notification", "alert", "update", "ping", "pong", "project_progress", "project_completed"};
constexpr std::array<std::string_view, kPayloadFormatCount> kFormatNames = {"plain", "legacy", "phased"};
constexpr std::array<std::string_view, kDropReasonCount> kReasonNames = {
    "too_large",     "invalid_utf8",  "too_deep",         "not_json",        "not_object",
    "unknown_type",  "client_only_type", "payload_not_object", "missing_field", "wrong_type",
    "out_of_range",  "invalid_status", "project_mismatch", "bad_channel"};

constexpr std::array<std::string_view, 4> kPhasedStatuses = {"INITIALIZING", "PROCESSING", "DONE", "FAILED"};
constexpr std::array<std::string_view, 7> kLegacyStatuses = {"INITIALIZING", "PROCESSING", "DONE", "FAILED",
                                                             "CRAWLING",     "COMPLETED",  "PAUSED"};
constexpr std::array<std::string_view, 2> kPhases = {"crawl", "analyze"};

// Depth of the deepest array/object, counted over the raw text without parsing (strings skipped).
bool exceeds_depth(std::string_view raw, std::size_t max_depth) noexcept {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) return true;
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return false;
}

struct Problem {
    DropReason reason;
    std::string detail;
};
using Check = std::optional<Problem>;

Check require_non_negative_int(const json& obj, std::string_view key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end()) return Problem{DropReason::missing_field, path + std::string(key) + " is required"};
    if (it->is_number_unsigned()) return std::nullopt;
    if (it->is_number_integer()) {
        if (it->get<std::int64_t>() == 0) return std::nullopt;  // "-0" parses as a signed zero
        return Problem{DropReason::out_of_range, path + std::string(key) + " must not be negative"};
    }
    return Problem{DropReason::wrong_type, path + std::string(key) + " must be a non-negative integer"};
}

Check require_percent(const json& obj, std::string_view key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end()) return Problem{DropReason::missing_field, path + std::string(key) + " is required"};
    if (!it->is_number()) return Problem{DropReason::wrong_type, path + std::string(key) + " must be a number"};
    double v = it->get<double>();
    if (!(v >= 0.0 && v <= 100.0))
        return Problem{DropReason::out_of_range, path + std::string(key) + " must be within [0, 100]"};
    return std::nullopt;
}

template <std::size_t N>
Check require_status(const json& payload, const std::array<std::string_view, N>& allowed) {
    auto it = payload.find("status");
    if (it == payload.end()) return Problem{DropReason::missing_field, "payload.status is required"};
    if (!it->is_string()) return Problem{DropReason::wrong_type, "payload.status must be a string"};
    const auto& s = it->get_ref<const std::string&>();
    for (auto a : allowed)
        if (s == a) return std::nullopt;
    return Problem{DropReason::invalid_status, "payload.status is not an accepted status"};
}

Check check_phase(const json& phase, std::string_view name) {
    std::string path = "payload." + std::string(name) + ".";
    if (!phase.is_object())
        return Problem{DropReason::wrong_type, "payload." + std::string(name) + " must be an object or null"};
    for (auto key : {"total", "done", "errors"})
        if (auto p = require_non_negative_int(phase, key, path)) return p;
    if (auto p = require_percent(phase, "progress_percent", path)) return p;
    auto total = phase["total"].get<std::uint64_t>();  // signed zero reads as 0 too
    auto done = phase["done"].get<std::uint64_t>();
    if (total != 0 && done > total) return Problem{DropReason::out_of_range, path + "done must not exceed total"};
    return std::nullopt;
}

// Validates a progress payload in place; null phases are removed (clients never see a null phase),
// which sets `modified`.
Check check_progress(json& payload, PayloadFormat& format, bool& modified) {
    auto pid = payload.find("project_id");
    if (pid == payload.end()) return Problem{DropReason::missing_field, "payload.project_id is required"};
    if (!pid->is_string() || pid->get_ref<const std::string&>().empty())
        return Problem{DropReason::wrong_type, "payload.project_id must be a non-empty string"};

    bool phased = payload.contains("crawl") || payload.contains("analyze");
    if (!phased) {
        format = PayloadFormat::legacy;
        if (auto p = require_status(payload, kLegacyStatuses)) return p;
        for (auto key : {"total", "done", "errors"})
            if (auto p = require_non_negative_int(payload, key, "payload.")) return p;
        return require_percent(payload, "progress_percent", "payload.");
    }

    format = PayloadFormat::phased;
    if (auto p = require_status(payload, kPhasedStatuses)) return p;
    if (auto p = require_percent(payload, "overall_progress_percent", "payload.")) return p;
    for (auto name : kPhases) {
        auto it = payload.find(name);
        if (it == payload.end()) continue;
        if (it->is_null()) {
            payload.erase(it);
            modified = true;
            continue;
        }
        if (auto p = check_phase(*it, name)) return p;
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_string(MessageType t) noexcept { return kTypeNames[static_cast<std::size_t>(t)]; }
std::string_view to_string(PayloadFormat f) noexcept { return kFormatNames[static_cast<std::size_t>(f)]; }
std::string_view to_string(DropReason r) noexcept { return kReasonNames[static_cast<std::size_t>(r)]; }

std::optional<MessageType> parse_message_type(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kTypeNames.size(); ++i)
        if (kTypeNames[i] == name) return static_cast<MessageType>(i);
    return std::nullopt;
}

ValidationResult validate_message(std::string_view raw, const Channel& channel, const MessageLimits& limits,
                                  std::chrono::system_clock::time_point now, std::string_view given_id) {
    using R = DropReason;
    if (raw.size() > limits.max_bytes) return ValidationResult::reject(R::too_large, "message exceeds max_message_bytes");
    if (!is_valid_utf8(raw)) return ValidationResult::reject(R::invalid_utf8, "message is not valid UTF-8");
    if (exceeds_depth(raw, limits.max_depth)) return ValidationResult::reject(R::too_deep, "message nests too deeply");

    json doc = json::parse(raw, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return ValidationResult::reject(R::not_json, "message is not valid JSON");
    if (!doc.is_object()) return ValidationResult::reject(R::not_object, "message must be a JSON object");

    auto type_it = doc.find("type");
    if (type_it == doc.end()) return ValidationResult::reject(R::missing_field, "type is required");
    if (!type_it->is_string()) return ValidationResult::reject(R::wrong_type, "type must be a string");
    auto type = parse_message_type(type_it->get_ref<const std::string&>());
    if (!type) return ValidationResult::reject(R::unknown_type, "type is not a known message type");
    if (*type == MessageType::ping || *type == MessageType::pong)
        return ValidationResult::reject(R::client_only_type, "ping and pong are client messages");

    auto payload_it = doc.find("payload");
    if (payload_it == doc.end()) return ValidationResult::reject(R::missing_field, "payload is required");
    if (!payload_it->is_object()) return ValidationResult::reject(R::payload_not_object, "payload must be an object");
    json& payload = *payload_it;

    Message msg;
    msg.type = *type;
    bool modified = false;
    if (*type == MessageType::project_progress || *type == MessageType::project_completed) {
        if (auto p = check_progress(payload, msg.format, modified))
            return ValidationResult::reject(p->reason, std::move(p->detail));
    }

    if (auto pid = payload.find("project_id"); pid != payload.end()) {
        if (pid->is_string()) msg.project_id = pid->get<std::string>();
        if (channel.kind == ChannelKind::project && (!pid->is_string() || msg.project_id != channel.project_id))
            return ValidationResult::reject(R::project_mismatch, "payload.project_id differs from the channel's project");
    }

    // One form for every delivered timestamp: UTC with "Z" (an offset is converted to the same
    // instant); absent or not RFC 3339, the gateway stamps its own time.
    std::string timestamp;
    if (auto ts = doc.find("timestamp"); ts != doc.end() && ts->is_string())
        if (auto utc = to_utc_rfc3339(ts->get_ref<const std::string&>())) timestamp = std::move(*utc);
    if (timestamp.empty()) timestamp = format_utc_seconds(now);

    if (!given_id.empty()) msg.id = std::string(given_id);
    else if (auto id = doc.find("id"); id != doc.end()) {
        if (id->is_string() && is_valid_id(id->get_ref<const std::string&>()))
            msg.id = id->get<std::string>();
        else if (id->is_number_unsigned())
            msg.id = std::to_string(id->get<std::uint64_t>());
    }
    if (msg.id.empty()) msg.id = derived_message_id(channel, raw);

    // An unchanged payload is forwarded as the publisher's own bytes (already validated as JSON
    // and UTF-8) instead of being serialized again: the largest cost of this function otherwise.
    std::optional<std::string_view> raw_payload;
    if (!modified) raw_payload = json_scan::member(raw, "payload");
    std::string payload_text = raw_payload ? std::string() : payload.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string_view payload_view = raw_payload ? *raw_payload : std::string_view(payload_text);
    auto type_name = to_string(*type);
    msg.frame.reserve(48 + type_name.size() + msg.id.size() + payload_view.size() + timestamp.size());
    msg.frame.append(R"({"type":")").append(type_name).append(R"(","id":")").append(msg.id);
    msg.frame.append(R"(","payload":)").append(payload_view);
    msg.frame.append(R"(,"timestamp":")").append(timestamp).append(R"("})");
    // A raw line break in valid JSON can only be whitespace between tokens (strings escape
    // theirs): spaces in its place keep the JSON the same and let an SSE data line carry it whole.
    for (char& c : msg.frame)
        if (c == '\n' || c == '\r') c = ' ';
    return ValidationResult::accept(std::move(msg));
}

}  // namespace wsgw
