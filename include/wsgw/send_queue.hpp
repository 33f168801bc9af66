#pragma once
// A bounded outbound queue for one socket.
//
// Every queued item is shared with the other targets of the same message (one immutable buffer
// per message). The queue is bounded in messages and in bytes; when a socket falls behind, a
// queued, unsent project_progress is replaced by a newer one for the same project (a progress
// bar needs only the latest state). Nothing else is ever coalesced away. Past the bounds, push
// reports overflow and the owner disconnects the socket as a slow consumer.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "wsgw/compressed_frame.hpp"
#include "wsgw/message.hpp"

namespace wsgw {

struct Outbound {
    std::string frame;  // the whole WebSocket frame, header included, as it goes on the wire
    MessageType type = MessageType::notification;
    std::string project_id;
    CompressedFrame compressed;  // the frame for sockets with permessage-deflate, made on first need
};
using OutboundPtr = std::shared_ptr<const Outbound>;

struct SendQueueLimits {
    std::size_t max_messages = 1024;
    std::size_t max_bytes = 1024 * 1024;
};

enum class PushResult { queued, coalesced, overflow };

class SendQueue {
public:
    explicit SendQueue(SendQueueLimits limits) : limits_(limits) {}

    PushResult push(OutboundPtr item);
    // Lets `messages` more items, `bytes` more bytes, be queued on top of the bounds, the
    // allowance shrinking again as items are written: what a socket is sent as it registers (what
    // it missed since its last id, the last state of its projects) is a backlog the socket has
    // not fallen behind on, and its items are held by the resume window and the last-state cache
    // anyway. The bounds then apply, whole, to what comes after it.
    void allow_backlog(std::size_t messages, std::size_t bytes) noexcept {
        allowed_messages_ += messages;
        allowed_bytes_ += bytes;
    }

    // Marks up to `max_items` items at the head in flight, to go out in one gather write (they
    // can no longer be coalesced or dropped), and returns how many; 0 when the queue is empty
    // or a write is already in flight.
    std::size_t begin_write(std::size_t max_items);
    // The i-th in-flight item, i < in_flight().
    const Outbound& in_flight_item(std::size_t i) noexcept { return *at(i); }
    std::size_t in_flight() const noexcept { return in_flight_; }
    // The in-flight items were written: drop them.
    void end_write();

    bool empty() const noexcept { return count_ == 0; }
    bool writing() const noexcept { return in_flight_ > 0; }
    std::size_t size() const noexcept { return count_; }
    std::size_t bytes() const noexcept { return bytes_; }
    // What a close keeps of the unsent items.
    enum class Keep {
        nothing,
        // Answers to the peer's own frames (pongs, JSON pongs): RFC 6455 section 5.5.2 wants a
        // ping that came before a close, or before a frame that fails the connection, answered.
        replies,
    };
    // Drops the unsent items (all, or all but replies, which stay in order). In-flight items
    // stay until end_write(): their buffers are still being written.
    void drop_unsent(Keep keep = Keep::nothing) noexcept;

private:
    // A ring that allocates nothing until the first push and grows by doubling: an idle socket
    // pays for no queue storage (a std::deque would allocate ~600 bytes up front).
    OutboundPtr& at(std::size_t i) noexcept { return ring_[(head_ + i) % ring_.size()]; }
    void grow();

    SendQueueLimits limits_;
    std::vector<OutboundPtr> ring_;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::size_t bytes_ = 0;
    std::size_t in_flight_ = 0;
    std::size_t allowed_messages_ = 0;  // allow_backlog's, left to write
    std::size_t allowed_bytes_ = 0;
};

}  // namespace wsgw
