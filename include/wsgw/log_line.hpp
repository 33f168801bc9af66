#pragma once
// One structured log event rendered as a single line. Every key and value is escaped, so a
// user-controlled string (a channel name, a user id, a reason) can never start a new line or
// forge a field.
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace wsgw {

class LogValue {
public:
    LogValue(const char* s) : v_(std::string_view(s)) {}
    LogValue(std::string_view s) : v_(s) {}
    LogValue(const std::string& s) : v_(std::string_view(s)) {}
    LogValue(bool b) : v_(b) {}
    LogValue(double d) : v_(d) {}
    template <class I>
        requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
    LogValue(I i) : v_(static_cast<std::int64_t>(i)) {}
    const auto& get() const noexcept { return v_; }

private:
    std::variant<std::string_view, std::int64_t, double, bool> v_;
};

struct LogField {
    std::string_view key;
    LogValue value;
};

enum class LogFormat { json, text };

std::string format_log_line(LogFormat format, std::string_view level, std::string_view event,
                            std::span<const LogField> fields, std::chrono::system_clock::time_point now);

// At most `max` bytes of `text`, cut on a UTF-8 boundary, for quoting input in warnings.
std::string_view safe_prefix(std::string_view text, std::size_t max) noexcept;

}  // namespace wsgw
