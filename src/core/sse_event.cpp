#include "wsgw/sse_event.hpp"

#include "wsgw/ws_frame.hpp"

namespace wsgw::sse {

namespace {

// The string value right after `prefix` at the start of `json` (no escapes: types and ids are
// plain), or empty.
std::string_view leading_value(std::string_view json, std::string_view prefix) noexcept {
    if (!json.starts_with(prefix)) return {};
    json.remove_prefix(prefix.size());
    auto end = json.find('"');
    return end == std::string_view::npos ? std::string_view{} : json.substr(0, end);
}

}  // namespace

EventPieces render_event(std::string_view frame) noexcept {
    EventPieces e;
    const std::string_view json = ws::frame_payload(frame);
    const std::string_view type = leading_value(json, R"({"type":")");
    const std::string_view id =
        type.empty() ? std::string_view{} : leading_value(json.substr(10 + type.size()), R"(,"id":")");
    auto add = [&e](std::string_view piece) {
        if (!piece.empty()) e.parts[e.count++] = piece;
    };
    if (!id.empty()) {
        add("id: ");
        add(id);
        add("\n");
    }
    if (!type.empty()) {
        add("event: ");
        add(type);
        add("\n");
    }
    add("data: ");
    add(json);
    add("\n\n");
    return e;
}

}  // namespace wsgw::sse
