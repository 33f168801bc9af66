#pragma once
// How many cores this process may really use. In a container, hardware_concurrency() is the
// host's core count; the CPU limit is a CFS quota in the cgroup: cgroup v2's cpu.max
// ("200000 100000", or "max 100000" for none) or cgroup v1's cpu.cfs_quota_us (-1 for none) with
// cpu.cfs_period_us. The quota rounds up (1.5 CPUs: 2 threads), as Go's automaxprocs and the JVM
// do not quite agree on; rounding down would leave a whole core idle that the limit allows.
#include <functional>
#include <optional>
#include <string>

namespace wsgw {

struct CpuLimit {
    unsigned cpus = 1;             // what to use: the quota's, capped at the hardware's, at least 1
    unsigned hardware = 0;         // hardware_concurrency() (0: unknown)
    std::optional<double> quota;   // the cgroup's limit in CPUs, when one is set
    std::string source;            // "cgroup v2 cpu.max", "cgroup v1 cfs quota" or "hardware"
};

// `read` returns a file's contents or nothing; the paths are the usual mount points
// (/sys/fs/cgroup/cpu.max, /sys/fs/cgroup/cpu/cpu.cfs_quota_us and cpu.cfs_period_us, or the
// cpu,cpuacct mount).
CpuLimit cpu_limit(unsigned hardware, const std::function<std::optional<std::string>(const std::string&)>& read);

}  // namespace wsgw
