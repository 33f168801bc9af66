#include "wsgw/cpu_limit.hpp"

#include <charconv>
#include <cmath>

#include "wsgw/text.hpp"

namespace wsgw {

namespace {

std::optional<long long> whole_number(std::string_view text) {
    text = trim(text);
    long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

// quota / period in CPUs, or nothing when either is absent, unlimited or nonsense.
std::optional<double> cpus_of(std::optional<long long> quota, std::optional<long long> period) {
    if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
    return static_cast<double>(*quota) / static_cast<double>(*period);
}

std::optional<double> cgroup_v2(std::string_view cpu_max) {
    cpu_max = trim(cpu_max);
    auto space = cpu_max.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    auto quota = cpu_max.substr(0, space);
    if (quota == "max") return std::nullopt;
    return cpus_of(whole_number(quota), whole_number(cpu_max.substr(space + 1)));
}

}  // namespace

CpuLimit cpu_limit(unsigned hardware, const std::function<std::optional<std::string>(const std::string&)>& read) {
    CpuLimit out;
    out.hardware = hardware;
    out.source = "hardware";
    if (auto v2 = read("/sys/fs/cgroup/cpu.max")) {
        if ((out.quota = cgroup_v2(*v2))) out.source = "cgroup v2 cpu.max";
    } else {
        for (const char* dir : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
            auto quota = read(std::string(dir) + "/cpu.cfs_quota_us");
            if (!quota) continue;
            auto period = read(std::string(dir) + "/cpu.cfs_period_us");
            if ((out.quota = cpus_of(whole_number(*quota), period ? whole_number(*period) : std::nullopt)))
                out.source = "cgroup v1 cfs quota";
            break;
        }
    }
    const unsigned base = hardware == 0 ? 1 : hardware;
    out.cpus = base;
    if (out.quota) {
        // Compared as doubles first: a quota of 1e15 CPUs must not overflow the conversion.
        const double wanted = std::ceil(*out.quota);
        out.cpus = wanted >= static_cast<double>(base) ? base : static_cast<unsigned>(wanted < 1 ? 1 : wanted);
    }
    return out;
}

}  // namespace wsgw
