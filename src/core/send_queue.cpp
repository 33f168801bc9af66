#include "wsgw/send_queue.hpp"

namespace wsgw {

PushResult SendQueue::push(OutboundPtr item) {
    if (item->type == MessageType::project_progress && !item->project_id.empty()) {
        // Newest first, and only unsent items (the in-flight head is already on the wire). A
        // project_completed of the same project ends the search: replacing a progress queued
        // before it would deliver the new progress ahead of the completion (a re-run project
        // would end on "completed").
        for (std::size_t i = count_; i > in_flight_;) {
            OutboundPtr& queued = at(--i);
            if (queued->project_id != item->project_id) continue;
            if (queued->type == MessageType::project_completed) break;
            if (queued->type == MessageType::project_progress) {
                bytes_ = bytes_ - queued->frame.size() + item->frame.size();
                queued = std::move(item);
                // A newer frame may be larger than the one it replaced.
                return bytes_ > limits_.max_bytes + allowed_bytes_ ? PushResult::overflow : PushResult::coalesced;
            }
        }
    }
    if (count_ + 1 > limits_.max_messages + allowed_messages_ ||
        bytes_ + item->frame.size() > limits_.max_bytes + allowed_bytes_)
        return PushResult::overflow;
    if (count_ == ring_.size()) grow();
    bytes_ += item->frame.size();
    at(count_++) = std::move(item);
    return PushResult::queued;
}

void SendQueue::grow() {
    std::vector<OutboundPtr> bigger(ring_.empty() ? 4 : ring_.size() * 2);
    for (std::size_t i = 0; i < count_; ++i) bigger[i] = std::move(at(i));
    ring_ = std::move(bigger);
    head_ = 0;
}

std::size_t SendQueue::begin_write(std::size_t max_items) {
    if (in_flight_ > 0) return 0;
    in_flight_ = count_ < max_items ? count_ : max_items;
    return in_flight_;
}

void SendQueue::end_write() {
    for (; in_flight_ > 0; --in_flight_) {
        OutboundPtr& front = at(0);
        const auto size = front->frame.size();
        bytes_ -= size;
        // The backlog goes out first; anything queued ahead of it only shrinks the allowance
        // sooner (the stricter way).
        if (allowed_messages_ > 0 && --allowed_messages_ > 0)
            allowed_bytes_ -= allowed_bytes_ < size ? allowed_bytes_ : size;
        else
            allowed_bytes_ = 0;
        front.reset();
        head_ = (head_ + 1) % ring_.size();
        --count_;
    }
    if (count_ == 0) head_ = 0;
}

void SendQueue::drop_unsent(Keep keep) noexcept {
    std::size_t kept = in_flight_;
    for (std::size_t i = in_flight_; i < count_; ++i) {
        OutboundPtr& item = at(i);
        if (keep == Keep::replies && item->type == MessageType::pong) {
            if (i != kept) at(kept) = std::move(item);
            ++kept;
            continue;
        }
        bytes_ -= item->frame.size();
        item.reset();
    }
    count_ = kept;
    allowed_messages_ = allowed_bytes_ = 0;
    if (count_ == 0) {
        // Give the storage back: a socket that was busy once should not keep its peak queue.
        std::vector<OutboundPtr>().swap(ring_);
        head_ = 0;
    }
}

}  // namespace wsgw
