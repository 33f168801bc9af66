#include "wsgw/message_sketch.hpp"

#include "json_scan.hpp"

namespace wsgw {

std::optional<MessageSketch> sketch_message(std::string_view raw, const Channel& channel, const MessageLimits& limits) {
    if (raw.size() > limits.max_bytes) return std::nullopt;
    // One pass: the payload's members are read where the payload stands, not skipped and read
    // again. The last "type" and the last "payload" count, as for the forwarded payload.
    json_scan::Scanner scan(raw);
    if (!scan.enter_object()) return std::nullopt;
    std::optional<std::string_view> type_text, project_text;
    bool payload = false, phased = false;
    std::string_view name;
    while (scan.next_member(name)) {
        if (name == "payload" && scan.at_object()) {
            payload = true;
            project_text.reset();
            phased = false;
            scan.enter_object();
            std::string_view inner;
            while (scan.next_member(inner)) {
                const auto value = scan.skip_value();
                if (inner == "project_id")
                    project_text = value;
                else if (inner == "crawl" || inner == "analyze")
                    phased = true;
            }
        } else {
            const auto value = scan.skip_value();
            if (name == "type") type_text = value;
            if (name == "payload") payload = false;  // not an object
        }
        if (!scan.ok()) return std::nullopt;
    }
    if (!scan.ok()) return std::nullopt;
    if (!type_text || !payload) return std::nullopt;
    const auto type_name = json_scan::plain_string(*type_text);
    const auto type = type_name ? parse_message_type(*type_name) : std::nullopt;
    if (!type || *type == MessageType::ping || *type == MessageType::pong) return std::nullopt;

    MessageSketch sketch;
    sketch.type = *type;
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
