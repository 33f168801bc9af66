#include "net/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <chrono>

namespace wsgw::log {

namespace {

std::shared_ptr<spdlog::logger>& logger() {
    static std::shared_ptr<spdlog::logger> instance = [] {
        auto l = std::make_shared<spdlog::logger>("wsgw", std::make_shared<spdlog::sinks::stdout_sink_mt>());
        // The line is fully formatted by format_log_line; spdlog adds only the newline and the
        // thread-safe write.
        l->set_pattern("%v");
        l->flush_on(spdlog::level::trace);
        return l;
    }();
    return instance;
}

std::atomic<int> g_level{static_cast<int>(Level::info)};
std::atomic<LogFormat> g_format{LogFormat::json};

constexpr std::array<std::string_view, 7> kNames = {"trace", "debug", "info", "warn", "error", "critical", "off"};

}  // namespace

void init(std::string_view level, std::string_view format) {
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == level) g_level = static_cast<int>(i);
    g_format = format == "text" ? LogFormat::text : LogFormat::json;
    logger();
}

bool enabled(Level level) noexcept { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed) && level != Level::off; }

void event(Level level, std::string_view name, std::span<const LogField> fields) {
    if (!enabled(level)) return;
    auto line = format_log_line(g_format.load(std::memory_order_relaxed), kNames[static_cast<std::size_t>(level)],
                                name, fields, std::chrono::system_clock::now());
    logger()->log(spdlog::level::critical, line);  // filtering is done above; spdlog only writes
}

}  // namespace wsgw::log
