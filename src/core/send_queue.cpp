#include "wsgw/send_queue.hpp"

namespace wsgw {

PushResult SendQueue::push(OutboundPtr item) {
    if (item->type == MessageType::project_progress && !item->project_id.empty()) {
        // Newest first, and only unsent items (the in-flight head is already on the wire). A
        // project_completed of the same project ends the search: replacing a progress queued
        // before it would deliver the new progress ahead of the completion (a re-run project
        // would end on "completed").
        auto first = items_.begin() + (in_flight_ ? 1 : 0);
        for (auto it = items_.end(); it != first;) {
            --it;
            const auto& queued = **it;
            if (queued.project_id != item->project_id) continue;
            if (queued.type == MessageType::project_completed) break;
            if (queued.type == MessageType::project_progress) {
                bytes_ = bytes_ - queued.frame.size() + item->frame.size();
                *it = std::move(item);
                // A newer frame may be larger than the one it replaced.
                return bytes_ > limits_.max_bytes ? PushResult::overflow : PushResult::coalesced;
            }
        }
    }
    if (items_.size() + 1 > limits_.max_messages || bytes_ + item->frame.size() > limits_.max_bytes)
        return PushResult::overflow;
    bytes_ += item->frame.size();
    items_.push_back(std::move(item));
    return PushResult::queued;
}

const Outbound* SendQueue::begin_write() {
    if (in_flight_ || items_.empty()) return nullptr;
    in_flight_ = true;
    return items_.front().get();
}

void SendQueue::end_write() {
    if (!in_flight_) return;
    in_flight_ = false;
    bytes_ -= items_.front()->frame.size();
    items_.pop_front();
}

void SendQueue::drop_unsent() noexcept {
    std::size_t keep = in_flight_ ? 1 : 0;
    while (items_.size() > keep) {
        bytes_ -= items_.back()->frame.size();
        items_.pop_back();
    }
}

}  // namespace wsgw
