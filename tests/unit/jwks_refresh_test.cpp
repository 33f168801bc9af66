// JwksRefreshPolicy with an injected clock: the first fetch at once, then one per interval; an
// unknown kid brings a fetch forward at most once per gap; failures back off and never wait past
// the interval.
#include "wsgw/jwks_refresh.hpp"

#include <gtest/gtest.h>

#include <set>

namespace {

using namespace std::chrono_literals;
using Policy = wsgw::JwksRefreshPolicy;
using TimePoint = Policy::Clock::time_point;

const TimePoint kT0 = TimePoint{} + 1000h;

wsgw::JwksRefreshSettings settings() {
    wsgw::JwksRefreshSettings s;
    s.interval = 300s;
    s.unknown_kid_gap = 5s;
    s.failure_backoff_min = 1s;
    s.failure_backoff_max = 60s;
    return s;
}

// A policy whose first fetch has just succeeded at `at`.
Policy loaded_at(TimePoint at) {
    Policy p(settings(), at);
    p.started(at);
    p.succeeded(at);
    return p;
}

TEST(JwksRefreshPolicy, TheFirstFetchIsDueAtOnce) {
    Policy p(settings(), kT0);
    EXPECT_TRUE(p.due(kT0));
}

TEST(JwksRefreshPolicy, NothingIsDueWhileAFetchIsUnderWay) {
    Policy p(settings(), kT0);
    p.started(kT0);
    EXPECT_TRUE(p.fetching());
    EXPECT_FALSE(p.due(kT0 + 1h));
}

TEST(JwksRefreshPolicy, AfterASuccessTheNextFetchIsOneIntervalAway) {
    auto p = loaded_at(kT0);
    EXPECT_FALSE(p.due(kT0 + 299s));
    EXPECT_TRUE(p.due(kT0 + 300s));
    EXPECT_EQ(p.next_fetch(), kT0 + 300s);
}

TEST(JwksRefreshPolicy, AnUnknownKidFetchesAtOnceWhenTheLastFetchIsOlderThanTheGap) {
    auto p = loaded_at(kT0);
    EXPECT_TRUE(p.unknown_kid(kT0 + 60s));
    EXPECT_TRUE(p.due(kT0 + 60s));
}

TEST(JwksRefreshPolicy, AnUnknownKidRightAfterAFetchWaitsForTheGap) {
    auto p = loaded_at(kT0);
    EXPECT_TRUE(p.unknown_kid(kT0 + 1s));
    EXPECT_FALSE(p.due(kT0 + 1s));
    EXPECT_EQ(p.next_fetch(), kT0 + 5s);
}

TEST(JwksRefreshPolicy, AStormOfUnknownKidsCostsOneFetchPerGap) {
    auto p = loaded_at(kT0);
    std::set<TimePoint> fetches;
    // 200 tokens a second for 20 seconds, each naming a kid the set lacks.
    for (auto t = kT0; t < kT0 + 20s; t += 5ms) {
        p.unknown_kid(t);
        if (p.due(t)) {
            p.started(t);
            fetches.insert(t);
            p.succeeded(t + 50ms);
        }
    }
    EXPECT_LE(fetches.size(), 4u);
    EXPECT_GE(fetches.size(), 3u);
    TimePoint last{};
    for (auto t : fetches) {
        if (last != TimePoint{}) {
            EXPECT_GE(t - last, 5s);
        }
        last = t;
    }
}

TEST(JwksRefreshPolicy, FailuresBackOffDoublingUpToTheMaximum) {
    Policy p(settings(), kT0);
    auto t = kT0;
    std::vector<std::chrono::milliseconds> delays;
    for (int i = 0; i < 9; ++i) {
        p.started(t);
        p.failed(t);
        delays.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(p.next_fetch() - t));
        t = p.next_fetch();
    }
    std::vector<std::chrono::milliseconds> expected = {1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s};
    EXPECT_EQ(delays, expected);
    EXPECT_EQ(p.consecutive_failures(), 9u);
}

TEST(JwksRefreshPolicy, ABackoffNeverWaitsPastTheInterval) {
    auto s = settings();
    s.interval = 3s;
    Policy p(s, kT0);
    for (int i = 0; i < 5; ++i) {
        p.started(kT0);
        p.failed(kT0);
    }
    EXPECT_EQ(p.next_fetch(), kT0 + 3s);
}

TEST(JwksRefreshPolicy, ASuccessResetsTheBackoff) {
    Policy p(settings(), kT0);
    for (int i = 0; i < 4; ++i) {
        p.started(kT0);
        p.failed(kT0);
    }
    p.started(kT0);
    p.succeeded(kT0);
    EXPECT_EQ(p.consecutive_failures(), 0u);
    p.started(kT0 + 300s);
    p.failed(kT0 + 300s);
    EXPECT_EQ(p.next_fetch(), kT0 + 301s);
}

TEST(JwksRefreshPolicy, UnknownKidsDoNotOverrideTheBackoffWhileTheEndpointFails) {
    auto p = loaded_at(kT0);
    p.started(kT0 + 300s);
    p.failed(kT0 + 300s);
    p.started(kT0 + 301s);
    p.failed(kT0 + 301s);  // next at +303s
    EXPECT_FALSE(p.unknown_kid(kT0 + 302s));
    EXPECT_EQ(p.next_fetch(), kT0 + 303s);
}

TEST(JwksRefreshPolicy, RefetchNowIgnoresTheGap) {
    auto p = loaded_at(kT0);
    p.refetch_now(kT0 + 1s);
    EXPECT_TRUE(p.due(kT0 + 1s));
}

TEST(JwksFetchResultNames, AreTheMetricLabels) {
    EXPECT_EQ(wsgw::to_string(wsgw::JwksFetchResult::ok), "ok");
    EXPECT_EQ(wsgw::to_string(wsgw::JwksFetchResult::unreachable), "unreachable");
    EXPECT_EQ(wsgw::to_string(wsgw::JwksFetchResult::bad_status), "bad_status");
    EXPECT_EQ(wsgw::to_string(wsgw::JwksFetchResult::too_large), "too_large");
    EXPECT_EQ(wsgw::to_string(wsgw::JwksFetchResult::invalid), "invalid");
}

}  // namespace
