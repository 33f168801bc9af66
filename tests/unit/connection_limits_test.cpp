// ConnectionLimiter: the total, per-user and per-address caps on open WebSocket connections.
#include "wsgw/connection_limits.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

using wsgw::Admission;
using wsgw::ConnectionCaps;
using wsgw::ConnectionLimiter;

#define EXPECT_ACQUIRE(limiter, user, address, expected)                                   \
    EXPECT_EQ(wsgw::to_string((limiter).try_acquire(user, address)), wsgw::to_string(expected)) \
        << "acquiring for user " << (user) << " at " << (address)

// Generous caps except the ones a test sets.
ConnectionCaps caps(std::size_t total = 1000, std::size_t per_user = 1000, std::size_t per_address = 1000) {
    return ConnectionCaps{total, per_user, per_address};
}

TEST(ConnectionLimiter, StartsEmpty) {
    ConnectionLimiter l(caps());
    EXPECT_EQ(l.total(), 0u);
    EXPECT_EQ(l.for_user("u1"), 0u);
    EXPECT_EQ(l.for_address("192.0.2.1"), 0u);
}

TEST(ConnectionLimiter, AdmittedConnectionIsCountedEverywhere) {
    ConnectionLimiter l(caps());
    EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::admitted);
    EXPECT_EQ(l.total(), 1u);
    EXPECT_EQ(l.for_user("u1"), 1u);
    EXPECT_EQ(l.for_address("192.0.2.1"), 1u);
}

TEST(ConnectionLimiter, CountsPerUserAndPerAddressSeparately) {
    ConnectionLimiter l(caps());
    EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::admitted);
    EXPECT_ACQUIRE(l, "u1", "192.0.2.2", Admission::admitted);
    EXPECT_ACQUIRE(l, "u2", "192.0.2.1", Admission::admitted);
    EXPECT_ACQUIRE(l, "u3", "192.0.2.1", Admission::admitted);
    EXPECT_EQ(l.total(), 4u);
    EXPECT_EQ(l.for_user("u1"), 2u);
    EXPECT_EQ(l.for_user("u2"), 1u);
    EXPECT_EQ(l.for_user("u3"), 1u);
    EXPECT_EQ(l.for_user("u4"), 0u);
    EXPECT_EQ(l.for_address("192.0.2.1"), 3u);
    EXPECT_EQ(l.for_address("192.0.2.2"), 1u);
}

TEST(ConnectionLimiter, UsersAndAddressesAreSeparateNamespaces) {
    ConnectionLimiter l(caps());
    EXPECT_ACQUIRE(l, "same", "other", Admission::admitted);
    EXPECT_EQ(l.for_user("same"), 1u);
    EXPECT_EQ(l.for_address("same"), 0u) << "a user id must not count against an address of the same spelling";
    EXPECT_EQ(l.for_user("other"), 0u);
}

// ---------------------------------------------------------------------------------------------
// Caps
// ---------------------------------------------------------------------------------------------

TEST(ConnectionLimiter, TotalCapRefusesWithOverTotal) {
    ConnectionLimiter l(caps(/*total=*/2));
    EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::admitted);
    EXPECT_ACQUIRE(l, "u2", "192.0.2.2", Admission::admitted);
    EXPECT_ACQUIRE(l, "u3", "192.0.2.3", Admission::over_total);
}

TEST(ConnectionLimiter, TotalCapRefusalLeavesCountsUnchanged) {
    ConnectionLimiter l(caps(/*total=*/2));
    l.try_acquire("u1", "192.0.2.1");
    l.try_acquire("u2", "192.0.2.2");
    l.try_acquire("u3", "192.0.2.3");
    l.try_acquire("u1", "192.0.2.1");
    EXPECT_EQ(l.total(), 2u);
    EXPECT_EQ(l.for_user("u1"), 1u);
    EXPECT_EQ(l.for_address("192.0.2.1"), 1u);
    EXPECT_EQ(l.for_user("u3"), 0u) << "a refused user must not be counted";
    EXPECT_EQ(l.for_address("192.0.2.3"), 0u) << "a refused address must not be counted";
}

TEST(ConnectionLimiter, PerUserCapRefusesWithOverUser) {
    ConnectionLimiter l(caps(1000, /*per_user=*/2));
    EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::admitted);
    EXPECT_ACQUIRE(l, "u1", "192.0.2.2", Admission::admitted);
    EXPECT_ACQUIRE(l, "u1", "192.0.2.3", Admission::over_user);
}

TEST(ConnectionLimiter, PerUserCapRefusalLeavesCountsUnchanged) {
    ConnectionLimiter l(caps(1000, /*per_user=*/2));
    l.try_acquire("u1", "192.0.2.1");
    l.try_acquire("u1", "192.0.2.2");
    l.try_acquire("u1", "192.0.2.3");
    EXPECT_EQ(l.total(), 2u);
    EXPECT_EQ(l.for_user("u1"), 2u);
    EXPECT_EQ(l.for_address("192.0.2.3"), 0u) << "the refused connection's address must not be counted";
}

TEST(ConnectionLimiter, PerUserCapDoesNotAffectOtherUsers) {
    ConnectionLimiter l(caps(1000, /*per_user=*/1));
    EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::admitted);
    EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::over_user);
    EXPECT_ACQUIRE(l, "u2", "192.0.2.1", Admission::admitted);
}

TEST(ConnectionLimiter, PerAddressCapRefusesWithOverAddress) {
    ConnectionLimiter l(caps(1000, 1000, /*per_address=*/2));
    EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::admitted);
    EXPECT_ACQUIRE(l, "u2", "192.0.2.1", Admission::admitted);
    EXPECT_ACQUIRE(l, "u3", "192.0.2.1", Admission::over_address);
}

TEST(ConnectionLimiter, PerAddressCapRefusalLeavesCountsUnchanged) {
    ConnectionLimiter l(caps(1000, 1000, /*per_address=*/2));
    l.try_acquire("u1", "192.0.2.1");
    l.try_acquire("u2", "192.0.2.1");
    l.try_acquire("u3", "192.0.2.1");
    EXPECT_EQ(l.total(), 2u);
    EXPECT_EQ(l.for_address("192.0.2.1"), 2u);
    EXPECT_EQ(l.for_user("u3"), 0u) << "the refused connection's user must not be counted";
}

TEST(ConnectionLimiter, PerAddressCapDoesNotAffectOtherAddresses) {
    ConnectionLimiter l(caps(1000, 1000, /*per_address=*/1));
    EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::admitted);
    EXPECT_ACQUIRE(l, "u2", "192.0.2.1", Admission::over_address);
    EXPECT_ACQUIRE(l, "u2", "192.0.2.2", Admission::admitted);
}

TEST(ConnectionLimiter, CapsAreInclusive) {
    ConnectionLimiter l(caps(3, 3, 3));
    for (int i = 0; i < 3; ++i) EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::admitted);
    EXPECT_EQ(l.total(), 3u) << "a cap of N admits exactly N";
}

TEST(ConnectionLimiter, TotalCapIsReportedBeforeTheOthers) {
    ConnectionLimiter l(caps(1, 1, 1));
    l.try_acquire("u1", "192.0.2.1");
    EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::over_total)
        << "a full server answers 503 whatever the user and address";
}

TEST(ConnectionLimiter, UserCapIsReportedBeforeTheAddressCap) {
    ConnectionLimiter l(caps(1000, 1, 1));
    l.try_acquire("u1", "192.0.2.1");
    EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::over_user);
}

// ---------------------------------------------------------------------------------------------
// Release
// ---------------------------------------------------------------------------------------------

TEST(ConnectionLimiter, ReleaseUndoesAnAcquire) {
    ConnectionLimiter l(caps());
    l.try_acquire("u1", "192.0.2.1");
    l.try_acquire("u1", "192.0.2.1");
    l.release("u1", "192.0.2.1");
    EXPECT_EQ(l.total(), 1u);
    EXPECT_EQ(l.for_user("u1"), 1u);
    EXPECT_EQ(l.for_address("192.0.2.1"), 1u);
}

TEST(ConnectionLimiter, ReleaseFreesATotalSlot) {
    ConnectionLimiter l(caps(/*total=*/1));
    l.try_acquire("u1", "192.0.2.1");
    EXPECT_ACQUIRE(l, "u2", "192.0.2.2", Admission::over_total);
    l.release("u1", "192.0.2.1");
    EXPECT_ACQUIRE(l, "u2", "192.0.2.2", Admission::admitted);
}

TEST(ConnectionLimiter, ReleaseFreesAUserSlot) {
    ConnectionLimiter l(caps(1000, /*per_user=*/1));
    l.try_acquire("u1", "192.0.2.1");
    EXPECT_ACQUIRE(l, "u1", "192.0.2.2", Admission::over_user);
    l.release("u1", "192.0.2.1");
    EXPECT_ACQUIRE(l, "u1", "192.0.2.2", Admission::admitted);
}

TEST(ConnectionLimiter, ReleaseFreesAnAddressSlot) {
    ConnectionLimiter l(caps(1000, 1000, /*per_address=*/1));
    l.try_acquire("u1", "192.0.2.1");
    EXPECT_ACQUIRE(l, "u2", "192.0.2.1", Admission::over_address);
    l.release("u1", "192.0.2.1");
    EXPECT_ACQUIRE(l, "u2", "192.0.2.1", Admission::admitted);
}

TEST(ConnectionLimiter, KeysReturnToZeroWhenTheirLastConnectionCloses) {
    ConnectionLimiter l(caps());
    l.try_acquire("u1", "192.0.2.1");
    l.try_acquire("u1", "192.0.2.1");
    l.release("u1", "192.0.2.1");
    l.release("u1", "192.0.2.1");
    EXPECT_EQ(l.total(), 0u);
    EXPECT_EQ(l.for_user("u1"), 0u);
    EXPECT_EQ(l.for_address("192.0.2.1"), 0u);
}

TEST(ConnectionLimiter, KeyCanBeReusedAfterItReturnedToZero) {
    ConnectionLimiter l(caps(1000, /*per_user=*/2, /*per_address=*/2));
    for (int round = 0; round < 3; ++round) {
        EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::admitted) << " (round " << round << ")";
        EXPECT_ACQUIRE(l, "u1", "192.0.2.1", Admission::admitted) << " (round " << round << ")";
        EXPECT_EQ(l.for_user("u1"), 2u) << "round " << round;
        l.release("u1", "192.0.2.1");
        l.release("u1", "192.0.2.1");
        EXPECT_EQ(l.for_user("u1"), 0u) << "round " << round;
    }
}

TEST(ConnectionLimiter, ReleaseTouchesOnlyItsOwnKeys) {
    ConnectionLimiter l(caps());
    l.try_acquire("u1", "192.0.2.1");
    l.try_acquire("u2", "192.0.2.2");
    l.release("u1", "192.0.2.1");
    EXPECT_EQ(l.for_user("u2"), 1u);
    EXPECT_EQ(l.for_address("192.0.2.2"), 1u);
    EXPECT_EQ(l.total(), 1u);
}

TEST(ConnectionLimiter, AdmissionNamesAreStable) {
    EXPECT_EQ(wsgw::to_string(Admission::admitted), "admitted");
    EXPECT_EQ(wsgw::to_string(Admission::over_total), "over_total");
    EXPECT_EQ(wsgw::to_string(Admission::over_user), "over_user");
    EXPECT_EQ(wsgw::to_string(Admission::over_address), "over_address");
}

// ---------------------------------------------------------------------------------------------
// Shared by several threads
// ---------------------------------------------------------------------------------------------

TEST(ConnectionLimiter, ConcurrentAcquireAndReleaseKeepCountsConsistent) {
    constexpr int kThreads = 4;
    constexpr int kRounds = 2000;
    ConnectionLimiter l(caps(1'000'000, 1'000'000, 1'000'000));
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            // Every thread shares "shared-user" and "shared-address" and also has its own keys.
            std::string own_user = "u" + std::to_string(t);
            std::string own_address = "192.0.2." + std::to_string(t);
            for (int i = 0; i < kRounds; ++i) {
                if (l.try_acquire("shared-user", own_address) != Admission::admitted) ++refused;
                if (l.try_acquire(own_user, "shared-address") != Admission::admitted) ++refused;
                l.release("shared-user", own_address);
                l.release(own_user, "shared-address");
            }
            // Leave one connection open per thread so the end state is not trivially empty.
            if (l.try_acquire(own_user, own_address) != Admission::admitted) ++refused;
        });
    }
    for (auto& th : threads) th.join();

    ASSERT_EQ(refused.load(), 0) << "no cap was within reach";
    EXPECT_EQ(l.total(), static_cast<std::size_t>(kThreads));
    EXPECT_EQ(l.for_user("shared-user"), 0u);
    EXPECT_EQ(l.for_address("shared-address"), 0u);
    for (int t = 0; t < kThreads; ++t) {
        EXPECT_EQ(l.for_user("u" + std::to_string(t)), 1u) << "thread " << t;
        EXPECT_EQ(l.for_address("192.0.2." + std::to_string(t)), 1u) << "thread " << t;
    }
}

TEST(ConnectionLimiter, ConcurrentAcquiresNeverOvershootACap) {
    constexpr int kThreads = 4;
    constexpr int kAttemptsPerThread = 500;
    constexpr std::size_t kTotal = 300;
    constexpr std::size_t kPerUser = 100;
    ConnectionLimiter l(caps(kTotal, kPerUser, 1'000'000));
    std::atomic<std::size_t> admitted{0}, shared_admitted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kAttemptsPerThread; ++i) {
                // Half the attempts go to one shared user, half to a user of the thread's own.
                bool shared = i % 2 == 0;
                std::string user = shared ? "shared" : "u" + std::to_string(t) + "-" + std::to_string(i);
                if (l.try_acquire(user, "192.0.2.1") == Admission::admitted) {
                    ++admitted;
                    if (shared) ++shared_admitted;
                }
            }
        });
    }
    for (auto& th : threads) th.join();

    EXPECT_EQ(admitted.load(), kTotal) << "attempts far exceed the total cap, so it must be reached exactly";
    EXPECT_EQ(l.total(), kTotal);
    EXPECT_LE(shared_admitted.load(), kPerUser);
    EXPECT_EQ(l.for_user("shared"), shared_admitted.load());
    EXPECT_EQ(l.for_address("192.0.2.1"), kTotal);
}

}  // namespace
