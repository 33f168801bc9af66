#include "wsgw/time_format.hpp"

#include <cstdio>
#include <ctime>

namespace wsgw {

namespace {
std::tm utc_tm(std::time_t secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return tm;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

int days_in_month(int year, int month) noexcept {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[month - 1];
}
}  // namespace

std::string format_utc_seconds(std::chrono::system_clock::time_point t) {
    auto tm = utc_tm(std::chrono::system_clock::to_time_t(t));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string format_utc_millis(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    auto secs = time_point_cast<seconds>(t);
    if (secs > t) secs -= seconds(1);
    auto ms = duration_cast<milliseconds>(t - secs).count();
    auto tm = utc_tm(system_clock::to_time_t(secs));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

bool is_rfc3339(std::string_view s) noexcept {
    int year, month, day, hour, minute, second;
    if (!digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
        !digits(s, 8, 2, day))
        return false;
    if (s[10] != 'T' && s[10] != 't') return false;
    if (!digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
        !digits(s, 17, 2, second))
        return false;
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
        second > 60)
        return false;
    std::size_t pos = 19;
    if (s[pos] == '.') {
        std::size_t start = ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) return false;
    }
    if (pos >= s.size()) return false;
    if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return true;
    if (s[pos] != '+' && s[pos] != '-') return false;
    int oh, om;
    return pos + 6 == s.size() && digits(s, pos + 1, 2, oh) && s[pos + 3] == ':' && digits(s, pos + 4, 2, om) &&
           oh <= 23 && om <= 59;
}

}  // namespace wsgw
