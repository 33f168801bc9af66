#pragma once
// A message on its way to the sockets of one user, as the intake hands it to the shards, and
// what the resume window and the shards need to read and validate it.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "wsgw/send_queue.hpp"

namespace wsgw {

// A message on its way to the sockets of one user, shared by every shard and queue: validated,
// or kept raw for a user with no socket here, until a shard needs it validated.
struct Delivery {
    Outbound outbound;       // kept raw: no frame yet; type and payload project from the sketch
    std::string user_id;
    std::string project_id;  // empty for user_noti:* messages
    std::string id;          // the message id the frame carries; empty while kept raw
    // Kept raw only: the publisher's bytes, and when they arrived (what a message without a
    // timestamp is stamped with, so validating later gives the frame validating now would).
    bool kept_raw = false;
    std::string raw;
    std::chrono::system_clock::time_point received_at;
};

// How the resume window reads a delivery's id and channel project without copying them.
struct DeliveryTraits {
    static std::string_view id(const std::shared_ptr<const Delivery>& d) { return d->id; }
    static std::string_view channel_project(const std::shared_ptr<const Delivery>& d) { return d->project_id; }
    static bool kept_raw(const std::shared_ptr<const Delivery>& d) { return d->kept_raw; }
    static std::size_t bytes(const std::shared_ptr<const Delivery>& d) { return d->outbound.frame.size(); }
};

// Validates deliveries kept raw for any shard (thread-safe): the validated form, or null when the
// message is invalid (counted and logged). Implemented by MessageIntake.
class DeliveryValidator {
public:
    virtual std::shared_ptr<const Delivery> validate(const Delivery& kept) = 0;

protected:
    ~DeliveryValidator() = default;
};

}  // namespace wsgw
