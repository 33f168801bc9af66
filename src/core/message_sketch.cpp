#include "wsgw/message_sketch.hpp"

#include "json_scan.hpp"

namespace wsgw {

std::optional<MessageSketch> sketch_message(std::string_view raw, const Channel& channel, const MessageLimits& limits) {
    if (raw.size() > limits.max_bytes) return std::nullopt;
    std::optional<std::string_view> type_text, payload;
    if (!json_scan::for_each_member(raw, [&](std::string_view name, std::string_view value) {
            if (name == "type")
                type_text = value;
            else if (name == "payload")
                payload = value;
        }))
        return std::nullopt;
    if (!type_text || !payload || payload->empty() || payload->front() != '{') return std::nullopt;
    const auto type_name = json_scan::plain_string(*type_text);
    const auto type = type_name ? parse_message_type(*type_name) : std::nullopt;
    if (!type || *type == MessageType::ping || *type == MessageType::pong) return std::nullopt;

    MessageSketch sketch;
    sketch.type = *type;
    std::optional<std::string_view> project_text;
    bool phased = false;
    if (!json_scan::for_each_member(*payload, [&](std::string_view name, std::string_view value) {
            if (name == "project_id")
                project_text = value;
            else if (name == "crawl" || name == "analyze")
                phased = true;
        }))
        return std::nullopt;
    if (project_text) {
        const auto project = json_scan::plain_string(*project_text);
        // A project_id that is not a plain string is dropped by validation on a project channel
        // and on every progress; elsewhere it is ignored, which the sketch cannot tell apart.
        if (!project) return std::nullopt;
        sketch.project_id = *project;
    }
    if (channel.kind == ChannelKind::project && project_text && sketch.project_id != channel.project_id)
        return std::nullopt;
    if (sketch.type == MessageType::project_progress || sketch.type == MessageType::project_completed) {
        if (sketch.project_id.empty()) return std::nullopt;
        sketch.format = phased ? PayloadFormat::phased : PayloadFormat::legacy;
    }
    return sketch;
}

}  // namespace wsgw
