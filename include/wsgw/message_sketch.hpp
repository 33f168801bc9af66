#pragma once
// What a message kept raw must tell at once, without a parse: its type, payload format and
// payload project, which the last-state cache and the resume window file it under.
//
// Every instance receives every message, and most are for users whose sockets are held by other
// instances; a full validation (a DOM parse, ~1.4 µs) of each would be wasted on them. Such a
// message is sketched instead, kept as the publisher's bytes, and validated (validate_message)
// only when a socket of its user registers on a thread holding it. The sketch reads a few
// top-level members as text (no JSON syntax check): a message it cannot read plainly (escaped
// names or values, unknown or client-only type, payload not an object, a progress without a
// project, a project differing from the channel's) gets nullopt and is validated at once, so
// that most malformed messages are still dropped, counted and logged on arrival.
#include <optional>
#include <string_view>

#include "wsgw/channel.hpp"
#include "wsgw/message.hpp"

namespace wsgw {

struct MessageSketch {
    MessageType type = MessageType::notification;
    PayloadFormat format = PayloadFormat::plain;
    std::string_view project_id;  // the payload's project_id (a view into the raw text), or empty
};

// nullopt: validate now. A message validate_message accepts sketches to the same type, format
// and project (unless it repeats a member, which the two may read differently).
std::optional<MessageSketch> sketch_message(std::string_view raw, const Channel& channel, const MessageLimits& limits);

}  // namespace wsgw
