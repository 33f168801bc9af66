#pragma once
// Message ids: what a client names as the last message it saw when it resumes (`last_id`).
//
// Every instance subscribed to the same Redis must give a published message the same id, with
// no coordination and even if it missed earlier messages, so the id comes from the message
// itself:
// - the publisher's own top-level "id" when it is a valid id (1-64 of [A-Za-z0-9_-]) or a
//   non-negative integer (written in decimal);
// - otherwise 11 base64url characters of a 64-bit FNV-1a hash of the channel name and the
//   payload bytes as published.
// Two byte-identical publishes on one channel therefore share an id; a resume then continues
// after the later of the two. Publishers that may send the same bytes twice (a retried "job
// done") should set "id" or a "timestamp".
#include <optional>
#include <string>
#include <string_view>

#include "wsgw/channel.hpp"

namespace wsgw {

// The hash-derived id of `raw` published on `channel`.
std::string derived_message_id(const Channel& channel, std::string_view raw);

}  // namespace wsgw
