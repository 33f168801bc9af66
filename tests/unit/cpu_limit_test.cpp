// The CPU limit from fake cgroup files: v2 cpu.max, v1 CFS quota, none, and nonsense.
#include "wsgw/cpu_limit.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace {

using wsgw::cpu_limit;

struct FakeCgroup {
    std::map<std::string, std::string> files;
    wsgw::CpuLimit limit(unsigned hardware) const {
        return cpu_limit(hardware, [this](const std::string& path) -> std::optional<std::string> {
            auto it = files.find(path);
            if (it == files.end()) return std::nullopt;
            return it->second;
        });
    }
};

// The limit with one cgroup v2 cpu.max file.
unsigned v2_cpus(const std::string& cpu_max, unsigned hardware) {
    return FakeCgroup{{{"/sys/fs/cgroup/cpu.max", cpu_max}}}.limit(hardware).cpus;
}

TEST(CpuLimit, CgroupV2QuotaRoundsUpAndIsCappedAtTheHardware) {
    FakeCgroup g{{{"/sys/fs/cgroup/cpu.max", "200000 100000\n"}}};
    auto l = g.limit(64);
    EXPECT_EQ(l.cpus, 2u);
    EXPECT_EQ(l.source, "cgroup v2 cpu.max");
    ASSERT_TRUE(l.quota);
    EXPECT_DOUBLE_EQ(*l.quota, 2.0);
    EXPECT_EQ(v2_cpus("150000 100000", 64), 2u) << "1.5 CPUs";
    EXPECT_EQ(v2_cpus("50000 100000", 64), 1u) << "half a CPU";
    EXPECT_EQ(v2_cpus("1600000 100000", 4), 4u) << "never above the hardware";
}

TEST(CpuLimit, CgroupV2WithoutAQuotaUsesTheHardware) {
    auto l = FakeCgroup{{{"/sys/fs/cgroup/cpu.max", "max 100000\n"}}}.limit(8);
    EXPECT_EQ(l.cpus, 8u);
    EXPECT_EQ(l.source, "hardware");
    EXPECT_FALSE(l.quota);
}

TEST(CpuLimit, CgroupV1QuotaAndPeriod) {
    FakeCgroup g{{{"/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "300000\n"}, {"/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n"}}};
    auto l = g.limit(16);
    EXPECT_EQ(l.cpus, 3u);
    EXPECT_EQ(l.source, "cgroup v1 cfs quota");
    FakeCgroup combined{{{"/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "100000"},
                         {"/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000"}}};
    EXPECT_EQ(combined.limit(16).cpus, 1u);
    FakeCgroup unlimited{{{"/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1"}, {"/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000"}}};
    EXPECT_EQ(unlimited.limit(16).cpus, 16u);
}

TEST(CpuLimit, NoCgroupOrNonsenseUsesTheHardwareAndAtLeastOne) {
    EXPECT_EQ(FakeCgroup{}.limit(6).cpus, 6u);
    EXPECT_EQ(FakeCgroup{}.limit(0).cpus, 1u) << "unknown hardware";
    for (const char* bad : {"", "garbage", "100000", "0 100000", "-5 100000", "100000 0", "1e9 100000",
                            "99999999999999999999999 1"}) {
        EXPECT_EQ(v2_cpus(bad, 8), 8u) << "'" << bad << "'";
    }
    // A huge but well-formed quota is capped, never overflowed.
    EXPECT_EQ(v2_cpus("9223372036854775807 1", 8), 8u);
}

}  // namespace
