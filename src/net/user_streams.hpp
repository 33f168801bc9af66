#pragma once
// Sharded mode, as a session sees it: a socket that opens asks for its user's messages, and
// gets back what to send before anything live (what it missed since last_id, or a resync and
// the latest state of its projects). Implemented by net/sharded_subscriptions.hpp.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/delivery.hpp"

namespace wsgw {

struct StreamBacklog {
    // last_id was found: `messages` is what came after it. A last_id given and not found gets a
    // resync first.
    bool resumed = false;
    // Oldest first: what the socket missed, or (without last_id, or after a resync) the latest
    // progress of each of its projects.
    std::vector<std::shared_ptr<const Delivery>> messages;
};

class UserStreams {
public:
    // Any thread. Holds the user's subscription until release(). `done` runs on the subscriber's
    // thread once the user's shard channel is subscribed and the stream has been read, after
    // every live message up to that read has been handed to the shards: a session that registers
    // from `done` (inline on the subscriber's own thread, posted to another) gets every later
    // message live, and none of the backlog twice. A task merely posted on the subscriber's
    // thread is too late: a hand-off queued there before it may carry later messages.
    virtual void open(std::string user, std::string last_id, std::string project_filter,
                      std::function<void(StreamBacklog)> done) = 0;
    // Any thread: one socket that open() counted is gone.
    virtual void release(std::string user) = 0;

protected:
    ~UserStreams() = default;
};

}  // namespace wsgw
