// Registry: user -> sessions with an optional project filter, and who a message reaches.
#include "wsgw/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using Reg = wsgw::Registry<int>;

// The sorted handles a message of (user, project) reaches; checks the returned count too.
std::vector<int> targets(const Reg& r, std::string_view user, std::string_view project = "") {
    std::vector<int> out;
    auto n = r.for_each_target(user, project, [&](int h) { out.push_back(h); });
    EXPECT_EQ(n, out.size()) << "for_each_target must return the number of calls it made";
    std::sort(out.begin(), out.end());
    return out;
}

using V = std::vector<int>;

TEST(Registry, StartsEmpty) {
    Reg r;
    EXPECT_EQ(r.user_count(), 0u);
    EXPECT_EQ(r.session_count(), 0u);
    EXPECT_EQ(targets(r, "u1"), V{});
}

TEST(Registry, AddedSessionIsATarget) {
    Reg r;
    r.add("u1", "", 1);
    EXPECT_EQ(targets(r, "u1"), V{1});
}

TEST(Registry, ReachesEverySocketOfAUser) {
    Reg r;
    r.add("u1", "", 1);
    r.add("u1", "", 2);
    r.add("u1", "", 3);
    EXPECT_EQ(targets(r, "u1"), (V{1, 2, 3}));
}

TEST(Registry, IsolatesUsers) {
    Reg r;
    r.add("u1", "", 1);
    r.add("u2", "", 2);
    r.add("u10", "", 10);
    EXPECT_EQ(targets(r, "u1"), V{1});
    EXPECT_EQ(targets(r, "u2"), V{2});
    EXPECT_EQ(targets(r, "u3"), V{});
}

TEST(Registry, UserIdsAreCaseSensitive) {
    Reg r;
    r.add("u1", "", 1);
    EXPECT_EQ(targets(r, "U1"), V{});
}

TEST(Registry, UserWideMessageReachesFilteredAndUnfilteredSockets) {
    Reg r;
    r.add("u1", "", 1);
    r.add("u1", "p1", 2);
    r.add("u1", "p2", 3);
    EXPECT_EQ(targets(r, "u1", ""), (V{1, 2, 3}));
}

TEST(Registry, ProjectMessageReachesUnfilteredSocketsAndThoseFilteredOnItsProject) {
    Reg r;
    r.add("u1", "", 1);
    r.add("u1", "p1", 2);
    r.add("u1", "p2", 3);
    r.add("u1", "p1", 4);
    EXPECT_EQ(targets(r, "u1", "p1"), (V{1, 2, 4}));
    EXPECT_EQ(targets(r, "u1", "p2"), (V{1, 3}));
}

TEST(Registry, ProjectMessageSkipsSocketsFilteredOnOtherProjects) {
    Reg r;
    r.add("u1", "p2", 3);
    EXPECT_EQ(targets(r, "u1", "p1"), V{});
}

TEST(Registry, ProjectFilterMatchesWholeIds) {
    Reg r;
    r.add("u1", "p1", 1);
    EXPECT_EQ(targets(r, "u1", "p10"), V{});
    EXPECT_EQ(targets(r, "u1", "p"), V{});
}

TEST(Registry, ProjectMessageOfAnotherUserReachesNobody) {
    Reg r;
    r.add("u1", "p1", 1);
    EXPECT_EQ(targets(r, "u2", "p1"), V{});
}

TEST(Registry, CountsUsersAndSessions) {
    Reg r;
    r.add("u1", "", 1);
    r.add("u1", "p1", 2);
    r.add("u2", "", 3);
    EXPECT_EQ(r.user_count(), 2u);
    EXPECT_EQ(r.session_count(), 3u);
}

TEST(Registry, RemoveStopsDelivery) {
    Reg r;
    r.add("u1", "", 1);
    r.add("u1", "", 2);
    EXPECT_TRUE(r.remove("u1", 1));
    EXPECT_EQ(targets(r, "u1"), V{2});
    EXPECT_EQ(r.session_count(), 1u);
}

TEST(Registry, RemoveFromTheMiddleKeepsTheOthers) {
    Reg r;
    for (int h = 1; h <= 5; ++h) r.add("u1", h % 2 ? "p1" : "", h);
    EXPECT_TRUE(r.remove("u1", 2));
    EXPECT_EQ(targets(r, "u1"), (V{1, 3, 4, 5}));
    EXPECT_EQ(targets(r, "u1", "p2"), V{4}) << "filters must stay with their handles";
    EXPECT_EQ(targets(r, "u1", "p1"), (V{1, 3, 4, 5}));
}

TEST(Registry, RemovingTheLastSessionForgetsTheUser) {
    Reg r;
    r.add("u1", "", 1);
    r.add("u2", "", 2);
    EXPECT_TRUE(r.remove("u1", 1));
    EXPECT_EQ(r.user_count(), 1u);
    EXPECT_EQ(r.session_count(), 1u);
    EXPECT_EQ(targets(r, "u1"), V{});
}

TEST(Registry, RemoveOfAnUnknownHandleReturnsFalse) {
    Reg r;
    r.add("u1", "", 1);
    EXPECT_FALSE(r.remove("u1", 99));
    EXPECT_EQ(r.session_count(), 1u);
    EXPECT_EQ(targets(r, "u1"), V{1});
}

TEST(Registry, RemoveOfAnUnknownUserReturnsFalse) {
    Reg r;
    EXPECT_FALSE(r.remove("nobody", 1));
    EXPECT_EQ(r.session_count(), 0u);
}

TEST(Registry, RemoveUnderTheWrongUserReturnsFalseAndKeepsTheSession) {
    Reg r;
    r.add("u1", "", 1);
    r.add("u2", "", 2);
    EXPECT_FALSE(r.remove("u2", 1));
    EXPECT_EQ(targets(r, "u1"), V{1});
    EXPECT_EQ(r.session_count(), 2u);
}

TEST(Registry, RemoveTwiceReturnsFalseTheSecondTime) {
    Reg r;
    r.add("u1", "", 1);
    EXPECT_TRUE(r.remove("u1", 1));
    EXPECT_FALSE(r.remove("u1", 1));
    EXPECT_EQ(r.session_count(), 0u);
}

TEST(Registry, ReAddAfterRemoveWorks) {
    Reg r;
    r.add("u1", "p1", 1);
    ASSERT_TRUE(r.remove("u1", 1));
    r.add("u1", "", 1);
    EXPECT_EQ(targets(r, "u1", "p2"), V{1}) << "the new registration has no filter";
}

TEST(Registry, ForEachVisitsEverySessionOnce) {
    Reg r;
    r.add("u1", "", 1);
    r.add("u1", "p1", 2);
    r.add("u2", "p2", 3);
    r.add("u3", "", 4);
    ASSERT_TRUE(r.remove("u3", 4));
    std::vector<int> seen;
    r.for_each([&](int h) { seen.push_back(h); });
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (V{1, 2, 3}));
}

TEST(Registry, ForEachOnAnEmptyRegistryCallsNothing) {
    Reg r;
    int calls = 0;
    r.for_each([&](int) { ++calls; });
    EXPECT_EQ(calls, 0);
}

TEST(Registry, WorksWithNonTrivialHandles) {
    wsgw::Registry<std::string> r;
    r.add("u1", "", "session-a");
    r.add("u1", "p1", "session-b");
    std::vector<std::string> seen;
    r.for_each_target("u1", "p2", [&](const std::string& h) { seen.push_back(h); });
    EXPECT_EQ(seen, std::vector<std::string>{"session-a"});
    EXPECT_TRUE(r.remove("u1", std::string("session-b")));
}

TEST(Registry, LooksUpUsersByStringViewWithoutOwning) {
    Reg r;
    std::string key = "u1";
    r.add(key, "", 1);
    key = "xx";  // the registry owns its copy of the user id
    std::string_view lookup = std::string_view("u1:rest").substr(0, 2);
    EXPECT_EQ(targets(r, lookup), V{1});
}

}  // namespace
