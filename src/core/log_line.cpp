#include "wsgw/log_line.hpp"

#include <nlohmann/json.hpp>

#include "wsgw/time_format.hpp"

namespace wsgw {

namespace {

using json = nlohmann::ordered_json;

json to_json(const LogValue& v) {
    return std::visit(
        [](const auto& x) -> json {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string_view>)
                return std::string(x);
            else
                return x;
        },
        v.get());
}

// JSON string escaping also serves the text format: quotes, backslashes and control
// characters (newlines above all) are escaped, and invalid UTF-8 is replaced.
std::string quoted(std::string_view s) {
    return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

bool needs_quotes(std::string_view s) {
    if (s.empty()) return true;
    for (unsigned char c : s)
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7F) return true;
    return false;
}

}  // namespace

std::string format_log_line(LogFormat format, std::string_view level, std::string_view event,
                            std::span<const LogField> fields, std::chrono::system_clock::time_point now) {
    if (format == LogFormat::json) {
        json line = json::object();
        line["ts"] = format_utc_millis(now);
        line["level"] = std::string(level);
        line["event"] = std::string(event);
        for (const auto& f : fields) line[std::string(f.key)] = to_json(f.value);
        return line.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    std::string out = format_utc_millis(now);
    out.append(" ").append(level).append(" ").append(needs_quotes(event) ? quoted(event) : std::string(event));
    for (const auto& f : fields) {
        out.append(" ").append(needs_quotes(f.key) ? quoted(f.key) : std::string(f.key)).append("=");
        const auto& v = f.value.get();
        if (auto s = std::get_if<std::string_view>(&v))
            out.append(needs_quotes(*s) ? quoted(*s) : std::string(*s));
        else
            out.append(to_json(f.value).dump());
    }
    return out;
}

std::string_view safe_prefix(std::string_view text, std::size_t max) noexcept {
    if (text.size() <= max) return text;
    std::size_t n = max;
    // Step back over continuation bytes so the cut does not split a character.
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    return text.substr(0, n);
}

}  // namespace wsgw
