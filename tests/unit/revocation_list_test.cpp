// The deny list of revoked token ids: refusal until the end time, bounds, eviction order.
#include "wsgw/revocation_list.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

using wsgw::RevocationList;
using Result = RevocationList::AddResult;
using namespace std::chrono;

const RevocationList::Clock::time_point t0{seconds(1'700'000'000)};

TEST(RevocationList, RefusesARevokedIdUntilItsEnd) {
    RevocationList list(10);
    EXPECT_EQ(list.add("j1", t0 + 60s, t0), Result::added);
    EXPECT_TRUE(list.contains("j1", t0));
    EXPECT_TRUE(list.contains("j1", t0 + 59s));
    EXPECT_FALSE(list.contains("j1", t0 + 60s)) << "refused while now < end";
    EXPECT_FALSE(list.contains("j2", t0)) << "another id";
    EXPECT_FALSE(list.contains("", t0)) << "tokens without a jti are never matched";
}

TEST(RevocationList, IgnoresAnEntryThatHasAlreadyEnded) {
    RevocationList list(10);
    EXPECT_EQ(list.add("j1", t0, t0), Result::expired);
    EXPECT_EQ(list.add("j1", t0 - 1s, t0), Result::expired);
    EXPECT_EQ(list.size(), 0u);
}

TEST(RevocationList, KeepsTheLaterEndWhenAnIdIsRevokedTwice) {
    RevocationList list(10);
    list.add("j1", t0 + 60s, t0);
    EXPECT_EQ(list.add("j1", t0 + 30s, t0), Result::unchanged);
    EXPECT_TRUE(list.contains("j1", t0 + 45s));
    EXPECT_EQ(list.add("j1", t0 + 90s, t0), Result::extended);
    EXPECT_TRUE(list.contains("j1", t0 + 75s));
    EXPECT_EQ(list.size(), 1u);
}

TEST(RevocationList, DropsEndedEntriesAsNewOnesArrive) {
    RevocationList list(10);
    list.add("a", t0 + 10s, t0);
    list.add("b", t0 + 20s, t0);
    list.add("c", t0 + 30s, t0 + 15s);
    EXPECT_EQ(list.size(), 2u) << "a ended before c was added";
    EXPECT_EQ(list.evictions(), 0u) << "ending is not eviction";
}

TEST(RevocationList, EvictsTheEntryThatEndsFirstWhenFull) {
    RevocationList list(3);
    list.add("late", t0 + 300s, t0);
    list.add("soon", t0 + 100s, t0);
    list.add("mid", t0 + 200s, t0);
    EXPECT_EQ(list.add("new", t0 + 250s, t0), Result::added);
    EXPECT_EQ(list.size(), 3u);
    EXPECT_EQ(list.evictions(), 1u);
    EXPECT_FALSE(list.contains("soon", t0));
    EXPECT_TRUE(list.contains("late", t0));
    EXPECT_TRUE(list.contains("mid", t0));
    EXPECT_TRUE(list.contains("new", t0));
}

TEST(RevocationList, DoesNotKeepANewEntryThatWouldEndFirstWhenFull) {
    RevocationList list(2);
    list.add("a", t0 + 100s, t0);
    list.add("b", t0 + 200s, t0);
    EXPECT_EQ(list.add("c", t0 + 50s, t0), Result::not_kept);
    EXPECT_EQ(list.evictions(), 1u);
    EXPECT_TRUE(list.contains("a", t0));
    EXPECT_FALSE(list.contains("c", t0));
}

TEST(RevocationList, StaysWithinItsBoundUnderManyRevocations) {
    RevocationList list(100);
    for (int i = 0; i < 10'000; ++i) list.add("j" + std::to_string(i), t0 + seconds(1000 + i), t0);
    EXPECT_EQ(list.size(), 100u);
    EXPECT_EQ(list.evictions(), 9'900u);
    EXPECT_TRUE(list.contains("j9999", t0)) << "the latest ends are kept";
    EXPECT_FALSE(list.contains("j0", t0));
}

// Upgrades read the list on every I/O thread while the control channel writes: the ThreadSanitizer
// build of this test is what proves the locking.
TEST(RevocationList, IsReadWhileWrittenWithoutARace) {
    RevocationList list(1000);
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (int i = 0; i < 20'000; ++i) list.add("j" + std::to_string(i % 3000), t0 + seconds(1 + i), t0);
        stop = true;
    });
    std::size_t seen = 0;
    while (!stop) seen += list.contains("j7", t0) ? 1 : 0;
    writer.join();
    EXPECT_LE(list.size(), 1000u);
    (void)seen;
}

TEST(TokenFingerprint, IsZeroOnlyForNoId) {
    EXPECT_EQ(wsgw::token_fingerprint(""), 0u);
    EXPECT_NE(wsgw::token_fingerprint("a"), 0u);
    EXPECT_NE(wsgw::token_fingerprint("a"), wsgw::token_fingerprint("b"));
    EXPECT_EQ(wsgw::token_fingerprint("3f2a-77"), wsgw::token_fingerprint(std::string("3f2a-77")));
}

}  // namespace
