#pragma once
// The process's one resume window: every message is filed once, on the thread that hands it to
// the shards, before it is handed over, whatever the number of I/O threads. Each shard reads it
// only up to the arrival number of the last message it has fanned out itself (Shard::fanned_out),
// so a socket that registers on a thread gets from the window exactly what that thread's live
// delivery will not bring it. One lock: a batch of messages takes it once to file them, a
// registration once to validate_kept_raw and read its user's entries.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "net/delivery.hpp"
#include "wsgw/metrics.hpp"
#include "wsgw/resume_window.hpp"

namespace wsgw {

class SharedResumeWindow {
public:
    using Item = std::shared_ptr<const Delivery>;

    explicit SharedResumeWindow(ResumeLimits limits) : window_(limits) {}

    // Files a batch of messages in arrival order and returns the arrival number of its last one
    // (0 when resume is off), then adds what the window changed to the metrics.
    std::uint64_t file(const std::vector<Item>& batch, Metrics& metrics) {
        if (!window_.enabled()) return 0;  // the limits never change: no lock, no clock read
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex_);
        std::uint64_t last = 0;
        for (const auto& d : batch) {
            const std::size_t bytes = d->kept_raw ? d->raw.size() : d->outbound.frame.size();
            last = window_.put(d->user_id, d, RetainedMeta{d->outbound.project_id, d->outbound.type, bytes}, now);
        }
        report(metrics);
        return last;
    }

    // ResumeWindow::since, holds and gone, for a reader that has fanned out messages up to
    // arrival `up_to`.
    std::optional<std::vector<Item>> since(std::string_view user, std::string_view last_id,
                                           std::string_view project_filter, std::uint64_t up_to) {
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex_);
        return window_.since(user, last_id, project_filter, now, up_to);
    }
    bool holds(std::string_view user, std::string_view id, std::uint64_t up_to) const {
        std::lock_guard lock(mutex_);
        return window_.holds(user, id, up_to);
    }
    bool gone(std::string_view user, std::string_view id) const {
        std::lock_guard lock(mutex_);
        return window_.gone(user, id);
    }

    // ResumeWindow::validate_kept_raw under the lock. `validate` must be safe to call from any thread
    // (DeliveryValidator is); messages kept raw are validated here at most once for the process.
    template <class Validate>
    void validate_kept_raw(std::string_view user, Validate&& validate) {
        std::lock_guard lock(mutex_);
        window_.validate_kept_raw(user, validate);
    }

private:
    // Adds what the window changed since the last call; expiry and evictions that happen while
    // it is read are reported with the next batch.
    void report(Metrics& metrics) {
        const auto messages = static_cast<std::int64_t>(window_.messages());
        const auto bytes = static_cast<std::int64_t>(window_.bytes());
        metrics.resume_retained_messages.fetch_add(messages - reported_.messages, std::memory_order_relaxed);
        metrics.resume_retained_bytes.fetch_add(bytes - reported_.bytes, std::memory_order_relaxed);
        Metrics::add(metrics.resume_evictions, window_.evictions() - reported_.evictions);
        reported_ = {messages, bytes, window_.evictions()};
    }

    mutable std::mutex mutex_;
    ResumeWindow<Item, DeliveryTraits> window_;
    struct {
        std::int64_t messages = 0, bytes = 0;
        std::uint64_t evictions = 0;
    } reported_;
};

}  // namespace wsgw
