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
// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
long long days_from_civil(long long y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}

void civil_from_days(long long z, long long& y, unsigned& m, unsigned& d) noexcept {
    z += 719468;
    const long long era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<long long>(yoe) + era * 400 + (m <= 2);
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

std::optional<std::string> to_utc_rfc3339(std::string_view s) {
    if (!is_rfc3339(s)) return std::nullopt;
    // Validated above: fixed positions up to the seconds, then an optional fraction, then the zone.
    std::size_t zone = 19;
    if (s[zone] == '.')
        for (++zone; s[zone] >= '0' && s[zone] <= '9'; ++zone) {
        }
    std::string out(s.substr(0, zone));
    out[10] = 'T';
    if (s[zone] == 'Z' || s[zone] == 'z') return out + "Z";
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, oh = 0, om = 0;
    digits(s, 0, 4, year);
    digits(s, 5, 2, month);
    digits(s, 8, 2, day);
    digits(s, 11, 2, hour);
    digits(s, 14, 2, minute);
    digits(s, zone + 1, 2, oh);
    digits(s, zone + 4, 2, om);
    const long long offset = (s[zone] == '-' ? -1 : 1) * (oh * 60LL + om);
    // Local time minus its offset is UTC; seconds are untouched by a whole-minute shift.
    long long minutes = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 1440 +
                        hour * 60 + minute - offset;
    long long days = minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440);
    const long long in_day = minutes - days * 1440;
    long long y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    if (y < 0 || y > 9999) return std::nullopt;
    char head[48];
    std::snprintf(head, sizeof head, "%04lld-%02u-%02uT%02lld:%02lld", y, m, d, in_day / 60, in_day % 60);
    return std::string(head) + out.substr(16) + "Z";
}

}  // namespace wsgw
