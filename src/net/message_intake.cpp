#include "net/message_intake.hpp"

#include "net/logging.hpp"
#include "wsgw/message_sketch.hpp"
#include "wsgw/ws_frame.hpp"

namespace wsgw {

std::shared_ptr<const Delivery> MessageIntake::take(std::string_view channel_name, std::string_view payload) {
    auto channel = parse_channel(channel_name);
    if (!channel) {
        drop(DropReason::bad_channel, "channel name has the wrong shape or an invalid id", channel_name, payload);
        return nullptr;
    }
    const auto now = std::chrono::system_clock::now();
    if (!presence_.maybe_held(channel->user_id)) {
        if (auto sketch = sketch_message(payload, *channel, limits_)) {
            metrics_.count_received(channel->kind, sketch->type, sketch->format);
            Metrics::add(metrics_.messages_kept_raw);
            return kept_raw(std::move(*channel), *sketch, payload, now);
        }
    }
    return validated(std::move(*channel), channel_name, payload, now, /*on_arrival=*/true);
}

std::shared_ptr<const Delivery> MessageIntake::take_from_stream(std::string_view channel_name, std::string_view payload,
                                                                std::string_view stream_id,
                                                                std::chrono::system_clock::time_point added_at,
                                                                bool count_received) {
    auto channel = parse_channel(channel_name);
    if (!channel) {
        drop(DropReason::bad_channel, "channel name has the wrong shape or an invalid id", channel_name, payload);
        return nullptr;
    }
    return validated(std::move(*channel), channel_name, payload, added_at, count_received, stream_id);
}

std::shared_ptr<const Delivery> MessageIntake::sketch_from_stream(std::string_view channel_name,
                                                                  std::string_view payload,
                                                                  std::string_view stream_id,
                                                                  std::chrono::system_clock::time_point added_at) {
    if (auto channel = parse_channel(channel_name))
        if (auto sketch = sketch_message(payload, *channel, limits_))
            return kept_raw(std::move(*channel), *sketch, payload, added_at);
    return take_from_stream(channel_name, payload, stream_id, added_at, /*count_received=*/false);
}

std::shared_ptr<const Delivery> MessageIntake::kept_raw(Channel&& channel, const MessageSketch& sketch,
                                                        std::string_view payload,
                                                        std::chrono::system_clock::time_point received_at) {
    auto d = std::make_shared<Delivery>();
    d->kept_raw = true;
    d->outbound.type = sketch.type;
    d->outbound.project_id = sketch.project_id;
    d->raw = payload;
    d->received_at = received_at;
    d->user_id = std::move(channel.user_id);
    d->project_id = std::move(channel.project_id);
    return d;
}

std::shared_ptr<const Delivery> MessageIntake::validate(const Delivery& kept) {
    Metrics::add(metrics_.messages_kept_raw_validated);
    Channel channel{kept.project_id.empty() ? ChannelKind::user : ChannelKind::project, kept.user_id,
                    kept.project_id};
    const std::string channel_name = channel.kind == ChannelKind::user
                                         ? "user_noti:" + kept.user_id
                                         : "project:" + kept.project_id + ":" + kept.user_id;
    // Already counted as received on arrival, by its sketch.
    return validated(std::move(channel), channel_name, kept.raw, kept.received_at, /*on_arrival=*/false);
}

std::shared_ptr<const Delivery> MessageIntake::validated(Channel&& channel, std::string_view channel_name,
                                                         std::string_view payload,
                                                         std::chrono::system_clock::time_point received_at,
                                                         bool on_arrival, std::string_view given_id) {
    auto result = validate_message(payload, channel, limits_, received_at, given_id);
    if (!result.ok()) {
        drop(result.rejection().reason, result.rejection().detail, channel_name, payload);
        return nullptr;
    }
    Message& message = result.message();
    if (on_arrival) metrics_.count_received(channel.kind, message.type, message.format);
    auto d = std::make_shared<Delivery>();
    // The frame is built once, header included, and every socket writes these same bytes.
    d->outbound.frame = ws::make_frame(ws::Opcode::text, message.frame);
    d->outbound.type = message.type;
    d->outbound.project_id = std::move(message.project_id);
    d->user_id = std::move(channel.user_id);
    if (channel.kind == ChannelKind::project) d->project_id = std::move(channel.project_id);
    d->id = std::move(message.id);
    return d;
}

void MessageIntake::drop(DropReason reason, std::string_view detail, std::string_view channel_name,
                         std::string_view payload) {
    metrics_.count_dropped(reason);
    std::uint64_t suppressed = 0;
    {
        std::lock_guard lock(log_mutex_);
        if (!drop_log_limiter_.allow(std::chrono::steady_clock::now(), suppressed) && !suppressed) return;
    }
    log::warn("message_dropped", {{"reason", to_string(reason)},
                                  {"detail", detail},
                                  {"channel", safe_prefix(channel_name, 160)},
                                  {"bytes", payload.size()},
                                  {"prefix", safe_prefix(payload, 64)},
                                  {"suppressed_before", suppressed}});
}

}  // namespace wsgw
