#include "wsgw/last_state_cache.hpp"

#include <gtest/gtest.h>

namespace {

using wsgw::LastStateCache;
using wsgw::ReplayLimits;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const Clock::time_point t0 = Clock::time_point(1h);

TEST(LastStateCache, KeepsOnlyTheLatestValuePerProject) {
    LastStateCache<int> c(ReplayLimits{});
    c.put("u1", "p1", 1, false, t0);
    c.put("u1", "p1", 2, false, t0);
    EXPECT_EQ(c.get("u1", "", t0), std::vector<int>{2});
    EXPECT_EQ(c.size(), 1u);
}

TEST(LastStateCache, ReturnsProjectsInOrderOfTheirLastUpdate) {
    LastStateCache<int> c(ReplayLimits{});
    c.put("u1", "p1", 1, false, t0);
    c.put("u1", "p2", 2, false, t0);
    c.put("u1", "p1", 3, false, t0);
    EXPECT_EQ(c.get("u1", "", t0), (std::vector<int>{2, 3}));
}

TEST(LastStateCache, KeepsUsersApart) {
    LastStateCache<int> c(ReplayLimits{});
    c.put("u1", "p1", 1, false, t0);
    c.put("u2", "p1", 2, false, t0);
    EXPECT_EQ(c.get("u1", "", t0), std::vector<int>{1});
    EXPECT_EQ(c.get("u2", "", t0), std::vector<int>{2});
    EXPECT_TRUE(c.get("u3", "", t0).empty());
}

TEST(LastStateCache, ProjectFilterReturnsOnlyThatProject) {
    LastStateCache<int> c(ReplayLimits{});
    c.put("u1", "p1", 1, false, t0);
    c.put("u1", "p2", 2, false, t0);
    EXPECT_EQ(c.get("u1", "p2", t0), std::vector<int>{2});
    EXPECT_TRUE(c.get("u1", "p9", t0).empty());
}

TEST(LastStateCache, CompletedEntriesExpireSoonerThanProgress) {
    LastStateCache<int> c(ReplayLimits{100, 60s, 5s});
    c.put("u1", "p1", 1, false, t0);
    c.put("u1", "p2", 2, true, t0);
    EXPECT_EQ(c.get("u1", "", t0 + 4s), (std::vector<int>{1, 2}));
    EXPECT_EQ(c.get("u1", "", t0 + 6s), std::vector<int>{1}) << "the completion should have expired";
    EXPECT_TRUE(c.get("u1", "", t0 + 61s).empty());
    EXPECT_EQ(c.size(), 0u) << "expired entries must be removed, not only hidden";
}

TEST(LastStateCache, AnUpdateRenewsTheTtl) {
    LastStateCache<int> c(ReplayLimits{100, 10s, 10s});
    c.put("u1", "p1", 1, false, t0);
    c.put("u1", "p1", 2, false, t0 + 8s);
    EXPECT_EQ(c.get("u1", "", t0 + 15s), std::vector<int>{2});
}

TEST(LastStateCache, EvictsTheLeastRecentlyUpdatedPastTheBound) {
    LastStateCache<int> c(ReplayLimits{2, 60s, 60s});
    c.put("u1", "p1", 1, false, t0);
    c.put("u2", "p2", 2, false, t0);
    c.put("u1", "p1", 3, false, t0);  // p1 is now the most recent
    c.put("u3", "p3", 4, false, t0);
    EXPECT_EQ(c.size(), 2u);
    EXPECT_TRUE(c.get("u2", "", t0).empty()) << "u2/p2 was the least recently updated";
    EXPECT_EQ(c.get("u1", "", t0), std::vector<int>{3});
    EXPECT_EQ(c.get("u3", "", t0), std::vector<int>{4});
}

TEST(LastStateCache, ZeroEntriesDisablesTheCache) {
    LastStateCache<int> c(ReplayLimits{0, 60s, 60s});
    c.put("u1", "p1", 1, false, t0);
    EXPECT_EQ(c.size(), 0u);
    EXPECT_TRUE(c.get("u1", "", t0).empty());
}

TEST(LastStateCache, StaysBoundedUnderManyDistinctProjects) {
    LastStateCache<int> c(ReplayLimits{1000, 60s, 60s});
    for (int i = 0; i < 100'000; ++i) c.put("u" + std::to_string(i % 97), "p" + std::to_string(i), i, false, t0);
    EXPECT_EQ(c.size(), 1000u);
}

}  // namespace

namespace {

// A value kept raw (negative here) is swapped for its validated form, or dropped, by validate_kept_raw().
TEST(LastStateCache, ValidatingKeptRawSwapsValuesInPlaceAndDropsInvalidOnes) {
    LastStateCache<int> c(ReplayLimits{});
    c.put("u1", "p1", -1, false, t0);
    c.put("u1", "p2", -2, false, t0);
    c.put("u1", "p3", 3, false, t0);
    c.put("u2", "p1", -4, false, t0);
    int calls = 0;
    c.validate_kept_raw("u1", [&](int& v) {
        ++calls;
        if (v == -2) return false;  // invalid
        if (v < 0) v = -v;
        return true;
    });
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(c.get("u1", "", t0), (std::vector<int>{1, 3})) << "order of update kept, the invalid one gone";
    EXPECT_EQ(c.get("u2", "", t0), std::vector<int>{-4}) << "other users stay raw";
    EXPECT_EQ(c.size(), 2u + 1u);
}

}  // namespace
