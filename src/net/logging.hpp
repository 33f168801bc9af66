#pragma once
// The process's structured logger: one event per line, JSON by default (see wsgw/log_line.hpp).
#include <initializer_list>
#include <string_view>

#include "wsgw/log_line.hpp"

namespace wsgw::log {

enum class Level { trace, debug, info, warn, error, critical, off };

// level: trace|debug|info|warn|error|critical|off; format: json|text. Writes to stdout.
void init(std::string_view level, std::string_view format);
bool enabled(Level level) noexcept;
void event(Level level, std::string_view name, std::span<const LogField> fields);
inline void event(Level level, std::string_view name, std::initializer_list<LogField> fields = {}) {
    event(level, name, std::span<const LogField>(fields.begin(), fields.size()));
}

inline void info(std::string_view name, std::initializer_list<LogField> fields = {}) { event(Level::info, name, fields); }
inline void warn(std::string_view name, std::initializer_list<LogField> fields = {}) { event(Level::warn, name, fields); }
inline void error(std::string_view name, std::initializer_list<LogField> fields = {}) { event(Level::error, name, fields); }
inline void debug(std::string_view name, std::initializer_list<LogField> fields = {}) { event(Level::debug, name, fields); }

}  // namespace wsgw::log
