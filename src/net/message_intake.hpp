#pragma once
// Between Redis and the shards: turns a published message into a Delivery, validated at once
// when a socket of its user may be held here (PresenceHint), else sketched and kept raw
// (wsgw/message_sketch.hpp) for the shards to validate if a socket of the user ever registers
// on them. Drops are counted and logged (rate-limited) wherever validation happens.
#include <chrono>
#include <memory>
#include <mutex>
#include <string_view>

#include "net/delivery.hpp"
#include "wsgw/metrics.hpp"
#include "wsgw/log_limiter.hpp"
#include "wsgw/message.hpp"
#include "wsgw/message_sketch.hpp"
#include "wsgw/presence_hint.hpp"

namespace wsgw {

class MessageIntake final : public DeliveryValidator {
public:
    MessageIntake(MessageLimits limits, Metrics& metrics, const PresenceHint& presence)
        : limits_(limits), metrics_(metrics), presence_(presence) {}

    // Subscriber thread: null when the message is dropped.
    std::shared_ptr<const Delivery> take(std::string_view channel_name, std::string_view payload);
    // Sharded mode, subscriber thread: a message of a user's stream (live, or read back), always
    // validated at once (its user has a socket here). Its id is the stream id, and a message
    // without a timestamp is stamped with the id's time, so every instance and every read
    // renders the same frame. `count_received`: a live message, not one read back for a socket.
    std::shared_ptr<const Delivery> take_from_stream(std::string_view channel_name, std::string_view payload,
                                                     std::string_view stream_id,
                                                     std::chrono::system_clock::time_point added_at,
                                                     bool count_received);
    // Sharded mode, subscriber thread: a message read back from a stream for a socket's latest
    // state, where most entries are not needed (notifications, progress a newer one replaces).
    // Kept raw with its sketched type and project when it can be sketched (nothing counted;
    // validate it with take_from_stream once it is chosen), else as take_from_stream.
    std::shared_ptr<const Delivery> sketch_from_stream(std::string_view channel_name, std::string_view payload,
                                                       std::string_view stream_id,
                                                       std::chrono::system_clock::time_point added_at);
    // Any shard's thread.
    std::shared_ptr<const Delivery> validate(const Delivery& kept) override;

private:
    // A message kept as the publisher's bytes, filed under its sketch.
    static std::shared_ptr<const Delivery> kept_raw(Channel&& channel, const MessageSketch& sketch,
                                                    std::string_view payload,
                                                    std::chrono::system_clock::time_point received_at);
    std::shared_ptr<const Delivery> validated(Channel&& channel, std::string_view channel_name, std::string_view payload,
                                              std::chrono::system_clock::time_point received_at, bool on_arrival,
                                              std::string_view given_id = {});
    void drop(DropReason reason, std::string_view detail, std::string_view channel_name, std::string_view payload);

    MessageLimits limits_;
    Metrics& metrics_;
    const PresenceHint& presence_;
    std::mutex log_mutex_;  // drops are rare; the limiter is shared by every thread that validates
    LogLimiter drop_log_limiter_{20};
};

}  // namespace wsgw
