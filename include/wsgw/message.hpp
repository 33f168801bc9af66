#pragma once
// The message model: what the Project Service publishes to Redis, the rules it must satisfy, and
// the one frame clients receive for it.
//
// Input   {"type": T, "payload": {...}, "timestamp"?: RFC 3339, "id"?: id}
// Output  {"type": T, "id": id, "payload": {...}, "timestamp": RFC 3339 in UTC ("Z")}
//         (serialized once per message; wsgw/message_id.hpp says where the id comes from)
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "wsgw/channel.hpp"

namespace wsgw {

enum class MessageType { notification, alert, update, ping, pong, project_progress, project_completed };
inline constexpr std::size_t kMessageTypeCount = 7;

// How a progress payload is laid out; `plain` for every non-progress type.
enum class PayloadFormat { plain, legacy, phased };
inline constexpr std::size_t kPayloadFormatCount = 3;

enum class DropReason {
    too_large,
    invalid_utf8,
    too_deep,
    not_json,
    not_object,
    unknown_type,
    client_only_type,
    payload_not_object,
    missing_field,
    wrong_type,
    out_of_range,
    invalid_status,
    project_mismatch,
    bad_channel,  // set by the subscriber, never by validate_message
};
inline constexpr std::size_t kDropReasonCount = 14;

std::string_view to_string(MessageType t) noexcept;
std::string_view to_string(PayloadFormat f) noexcept;
std::string_view to_string(DropReason r) noexcept;
std::optional<MessageType> parse_message_type(std::string_view name) noexcept;

struct MessageLimits {
    std::size_t max_bytes = 64 * 1024;
    // Nesting beyond this is refused before parsing, so no recursion downstream (dump, free) can
    // run deep on hostile input.
    std::size_t max_depth = 32;
};

struct Message {
    MessageType type = MessageType::notification;
    PayloadFormat format = PayloadFormat::plain;
    std::string project_id;  // the payload's project_id when it carries one, else empty
    std::string id;          // the same on every instance (wsgw/message_id.hpp)
    std::string frame;       // the exact text frame every target socket receives
};

struct Rejection {
    DropReason reason = DropReason::not_json;
    std::string detail;  // names the offending field; never echoes field values
};

class ValidationResult {
public:
    static ValidationResult accept(Message m) { return ValidationResult(std::move(m)); }
    static ValidationResult reject(DropReason r, std::string detail) {
        return ValidationResult(Rejection{r, std::move(detail)});
    }
    bool ok() const noexcept { return message_.has_value(); }
    Message& message() { return *message_; }
    const Message& message() const { return *message_; }
    const Rejection& rejection() const noexcept { return rejection_; }

private:
    explicit ValidationResult(Message m) : message_(std::move(m)) {}
    explicit ValidationResult(Rejection r) : rejection_(std::move(r)) {}
    std::optional<Message> message_;
    Rejection rejection_;
};

// Validates a message published on `channel` and renders the frame clients receive.
// `now` stamps messages whose timestamp is absent or not RFC 3339. A non-empty `given_id` (sharded
// mode: the stream id) is the message's id, whatever the payload's "id" says.
ValidationResult validate_message(std::string_view raw, const Channel& channel, const MessageLimits& limits,
                                  std::chrono::system_clock::time_point now, std::string_view given_id = {});

}  // namespace wsgw
