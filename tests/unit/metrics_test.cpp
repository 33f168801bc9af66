// render_prometheus: HELP/TYPE for every family, well-formed labelled samples that follow the counters.
#include "wsgw/metrics.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using wsgw::Metrics;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// "name{labels}" -> value, for every sample line.
std::map<std::string, std::string> samples(const std::string& text) {
    std::map<std::string, std::string> out;
    for (const auto& l : lines_of(text)) {
        if (l.empty() || l[0] == '#') continue;
        auto space = l.rfind(' ');
        out[l.substr(0, space)] = l.substr(space + 1);
    }
    return out;
}

std::string sample(const Metrics& m, const std::string& series) {
    auto all = samples(wsgw::render_prometheus(m));
    auto it = all.find(series);
    if (it == all.end()) return "<no sample " + series + ">";
    return it->second;
}

const std::vector<std::pair<std::string, std::string>> kFamilies = {
    {"wsgw_connections", "gauge"},
    {"wsgw_connections_total", "counter"},
    {"wsgw_messages_received_total", "counter"},
    {"wsgw_messages_dropped_total", "counter"},
    {"wsgw_messages_kept_raw_total", "counter"},
    {"wsgw_messages_validated_late_total", "counter"},
    {"wsgw_deliveries_total", "counter"},
    {"wsgw_deliveries_coalesced_total", "counter"},
    {"wsgw_disconnects_total", "counter"},
    {"wsgw_auth_failures_total", "counter"},
    {"wsgw_http_rejections_total", "counter"},
    {"wsgw_client_messages_total", "counter"},
    {"wsgw_redis_connected", "gauge"},
    {"wsgw_redis_subscribed", "gauge"},
    {"wsgw_redis_connects_total", "counter"},
    {"wsgw_redis_disconnects_total", "counter"},
};

TEST(RenderPrometheus, HasHelpAndTypeForEveryFamily) {
    Metrics m;
    auto text = wsgw::render_prometheus(m);
    for (const auto& [family, type] : kFamilies) {
        EXPECT_NE(text.find("# HELP " + family + " "), std::string::npos) << "no HELP for " << family;
        EXPECT_NE(text.find("# TYPE " + family + " " + type + "\n"), std::string::npos)
            << "no TYPE " << type << " for " << family;
    }
}

TEST(RenderPrometheus, EveryLineIsACommentOrAWellFormedSample) {
    Metrics m;
    auto text = wsgw::render_prometheus(m);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n') << "the exposition ends with a newline";
    const std::regex comment(R"(# (HELP|TYPE) [a-z_][a-z0-9_]* .+)");
    const std::regex sample_line(
        R"([a-z_][a-z0-9_]*(\{[a-z_]+="[a-z0-9_]+"(,[a-z_]+="[a-z0-9_]+")*\})? [0-9]+(\.[0-9]+)?)");
    for (const auto& l : lines_of(text))
        EXPECT_TRUE(std::regex_match(l, comment) || std::regex_match(l, sample_line)) << "malformed line: " << l;
}

TEST(RenderPrometheus, EverySampleFollowsTheTypeOfItsFamily) {
    Metrics m;
    std::string current;
    for (const auto& l : lines_of(wsgw::render_prometheus(m))) {
        if (l.starts_with("# TYPE ")) {
            current = l.substr(7, l.find(' ', 7) - 7);
            continue;
        }
        if (l.starts_with("#")) continue;
        auto name = l.substr(0, l.find_first_of("{ "));
        EXPECT_EQ(name, current) << "sample outside its family block: " << l;
    }
}

TEST(RenderPrometheus, NoSeriesIsRenderedTwice) {
    Metrics m;
    std::set<std::string> seen;
    for (const auto& l : lines_of(wsgw::render_prometheus(m))) {
        if (l.empty() || l[0] == '#') continue;
        EXPECT_TRUE(seen.insert(l.substr(0, l.rfind(' '))).second) << "duplicate series: " << l;
    }
}

TEST(RenderPrometheus, StartsAtZero) {
    Metrics m;
    for (const auto& [series, value] : samples(wsgw::render_prometheus(m)))
        EXPECT_EQ(std::stod(value), 0.0) << series << " is not zero on a fresh Metrics";
}

TEST(RenderPrometheus, RendersProbeRoundTripInSeconds) {
    Metrics m;
    m.redis_probe_rtt_us = 1500;
    EXPECT_EQ(samples(wsgw::render_prometheus(m))["wsgw_redis_probe_rtt_seconds"], "0.001500");
}

TEST(RenderPrometheus, CountsDroppedMessagesByReason) {
    Metrics m;
    m.count_dropped(wsgw::DropReason::too_large);
    m.count_dropped(wsgw::DropReason::too_large);
    m.count_dropped(wsgw::DropReason::bad_channel);
    EXPECT_EQ(sample(m, R"(wsgw_messages_dropped_total{reason="too_large"})"), "2");
    EXPECT_EQ(sample(m, R"(wsgw_messages_dropped_total{reason="bad_channel"})"), "1");
    EXPECT_EQ(sample(m, R"(wsgw_messages_dropped_total{reason="not_json"})"), "0");
}

TEST(RenderPrometheus, LabelsEveryDropReason) {
    Metrics m;
    for (std::size_t i = 0; i < wsgw::kDropReasonCount; ++i) {
        auto reason = std::string(wsgw::to_string(static_cast<wsgw::DropReason>(i)));
        EXPECT_EQ(sample(m, "wsgw_messages_dropped_total{reason=\"" + reason + "\"}"), "0") << reason;
    }
}

TEST(RenderPrometheus, CountsReceivedMessagesByKindTypeAndFormat) {
    Metrics m;
    m.count_received(wsgw::ChannelKind::project, wsgw::MessageType::project_progress, wsgw::PayloadFormat::phased);
    m.count_received(wsgw::ChannelKind::user, wsgw::MessageType::notification, wsgw::PayloadFormat::plain);
    m.count_received(wsgw::ChannelKind::user, wsgw::MessageType::notification, wsgw::PayloadFormat::plain);
    EXPECT_EQ(
        sample(m, R"(wsgw_messages_received_total{kind="project",type="project_progress",format="phased"})"), "1");
    EXPECT_EQ(sample(m, R"(wsgw_messages_received_total{kind="user",type="notification",format="plain"})"), "2");
    EXPECT_EQ(sample(m, R"(wsgw_messages_received_total{kind="user",type="project_progress",format="phased"})"), "0")
        << "the kind label separates the series";
    EXPECT_EQ(sample(m, R"(wsgw_messages_received_total{kind="project",type="project_progress",format="legacy"})"),
              "0")
        << "the format label separates the series";
}

TEST(RenderPrometheus, RendersOnlyPossibleReceivedCombinations) {
    Metrics m;
    auto all = samples(wsgw::render_prometheus(m));
    std::size_t received = 0;
    for (const auto& [series, value] : all) {
        if (!series.starts_with("wsgw_messages_received_total")) continue;
        ++received;
        EXPECT_EQ(series.find(R"(type="ping")"), std::string::npos) << series;
        EXPECT_EQ(series.find(R"(type="pong")"), std::string::npos) << series;
        bool progress = series.find("type=\"project_") != std::string::npos;
        bool plain = series.find(R"(format="plain")") != std::string::npos;
        EXPECT_NE(progress, plain) << "impossible combination: " << series;
    }
    // 2 kinds x (3 plain types + 2 progress types x 2 layouts)
    EXPECT_EQ(received, 14u);
}

TEST(RenderPrometheus, CountsAuthFailuresByReason) {
    Metrics m;
    m.count_auth_failure(wsgw::AuthFailure::expired);
    EXPECT_EQ(sample(m, R"(wsgw_auth_failures_total{reason="expired"})"), "1");
    EXPECT_EQ(sample(m, R"(wsgw_auth_failures_total{reason="bad_signature"})"), "0");
    for (std::size_t i = 0; i < wsgw::kAuthFailureCount; ++i) {
        auto reason = std::string(wsgw::to_string(static_cast<wsgw::AuthFailure>(i)));
        EXPECT_NE(sample(m, "wsgw_auth_failures_total{reason=\"" + reason + "\"}").front(), '<') << reason;
    }
}

TEST(RenderPrometheus, CountsDisconnectsByReason) {
    Metrics m;
    m.count_disconnect(wsgw::DisconnectReason::slow_consumer);
    m.count_disconnect(wsgw::DisconnectReason::slow_consumer);
    m.count_disconnect(wsgw::DisconnectReason::shutdown);
    EXPECT_EQ(sample(m, R"(wsgw_disconnects_total{reason="slow_consumer"})"), "2");
    EXPECT_EQ(sample(m, R"(wsgw_disconnects_total{reason="shutdown"})"), "1");
    EXPECT_EQ(sample(m, R"(wsgw_disconnects_total{reason="client_close"})"), "0");
}

TEST(RenderPrometheus, CountsHttpRejectionsByReason) {
    Metrics m;
    m.count_http_rejection(wsgw::HttpRejection::bad_project_id);
    EXPECT_EQ(sample(m, R"(wsgw_http_rejections_total{reason="bad_project_id"})"), "1");
    EXPECT_EQ(sample(m, R"(wsgw_http_rejections_total{reason="not_found"})"), "0");
}

TEST(RenderPrometheus, CountsClientMessagesByKind) {
    Metrics m;
    Metrics::add(m.client_pings, 3);
    Metrics::add(m.client_ignored);
    EXPECT_EQ(sample(m, R"(wsgw_client_messages_total{kind="ping"})"), "3");
    EXPECT_EQ(sample(m, R"(wsgw_client_messages_total{kind="ignored"})"), "1");
}

TEST(RenderPrometheus, RendersPlainCounters) {
    Metrics m;
    Metrics::add(m.connections_total, 5);
    Metrics::add(m.deliveries, 1000);
    Metrics::add(m.coalesced, 7);
    Metrics::add(m.redis_connects, 2);
    Metrics::add(m.redis_disconnects);
    EXPECT_EQ(sample(m, "wsgw_connections_total"), "5");
    EXPECT_EQ(sample(m, "wsgw_deliveries_total"), "1000");
    EXPECT_EQ(sample(m, "wsgw_deliveries_coalesced_total"), "7");
    EXPECT_EQ(sample(m, "wsgw_redis_connects_total"), "2");
    EXPECT_EQ(sample(m, "wsgw_redis_disconnects_total"), "1");
}

TEST(RenderPrometheus, RendersGauges) {
    Metrics m;
    m.connections_open = 3;
    m.redis_connected = 1;
    m.redis_subscribed = 1;
    EXPECT_EQ(sample(m, "wsgw_connections"), "3");
    EXPECT_EQ(sample(m, "wsgw_redis_connected"), "1");
    EXPECT_EQ(sample(m, "wsgw_redis_subscribed"), "1");
    m.connections_open = 0;
    EXPECT_EQ(sample(m, "wsgw_connections"), "0") << "a gauge goes back down";
}

TEST(RenderPrometheus, NeverRendersANegativeConnectionGauge) {
    Metrics m;
    m.connections_open = -2;
    EXPECT_EQ(sample(m, "wsgw_connections"), "0");
}

TEST(MetricsNames, DisconnectReasons) {
    const char* expected[] = {"client_close",  "slow_consumer", "binary_frame", "frame_too_big", "protocol_error", "rate_limited",
                              "token_expired", "timeout",       "error",        "shutdown",       "disconnected", "revoked"};
    static_assert(std::size(expected) == wsgw::kDisconnectReasonCount);
    for (std::size_t i = 0; i < wsgw::kDisconnectReasonCount; ++i)
        EXPECT_EQ(wsgw::to_string(static_cast<wsgw::DisconnectReason>(i)), expected[i]) << "#" << i;
}

TEST(MetricsNames, HttpRejections) {
    const char* expected[] = {"bad_request",      "not_found",        "method_not_allowed", "bad_project_id",
                              "request_too_large", "forbidden_origin", "over_capacity",      "over_user_limit",
                              "over_address_limit", "draining",        "tls_handshake_failed", "not_ready",
                              "over_pending_limit"};
    static_assert(std::size(expected) == wsgw::kHttpRejectionCount);
    for (std::size_t i = 0; i < wsgw::kHttpRejectionCount; ++i)
        EXPECT_EQ(wsgw::to_string(static_cast<wsgw::HttpRejection>(i)), expected[i]) << "#" << i;
}

TEST(RenderPrometheus, CountsControlCommandsByActionAndRejectionsByReason) {
    Metrics m;
    m.count_control(wsgw::ControlAction::revoke);
    m.count_control(wsgw::ControlAction::revoke);
    m.count_control_rejected(wsgw::ControlError::unknown_action);
    m.revoked_tokens = 7;
    auto text = wsgw::render_prometheus(m);
    EXPECT_NE(text.find("wsgw_control_commands_total{action=\"revoke\"} 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("wsgw_control_commands_total{action=\"disconnect\"} 0\n"), std::string::npos) << text;
    EXPECT_NE(text.find("wsgw_control_commands_rejected_total{reason=\"unknown_action\"} 1\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("wsgw_revoked_tokens 7\n"), std::string::npos) << text;
}

}  // namespace

namespace {

TEST(RenderPrometheus, ShowsPendingConnectionsAndTlsReloadsByResult) {
    wsgw::Metrics m;
    m.connections_pending = 3;
    wsgw::Metrics::add(m.tls_reloads_failed);
    auto text = wsgw::render_prometheus(m);
    EXPECT_NE(text.find("wsgw_connections_pending 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("wsgw_tls_reloads_total{result=\"ok\"} 0\n"), std::string::npos) << text;
    EXPECT_NE(text.find("wsgw_tls_reloads_total{result=\"failed\"} 1\n"), std::string::npos) << text;
    m.connections_pending = -1;  // a decrement seen before its increment is shown as 0, never as a huge number
    EXPECT_NE(wsgw::render_prometheus(m).find("wsgw_connections_pending 0\n"), std::string::npos);
}

TEST(RenderPrometheus, ShowsJwksMetricsOnlyWithAKeySetConfigured) {
    Metrics m;
    EXPECT_EQ(wsgw::render_prometheus(m).find("wsgw_jwks_"), std::string::npos);
    m.jwks_enabled = true;
    m.count_jwks_fetch(wsgw::JwksFetchResult::unreachable);
    EXPECT_EQ(sample(m, R"(wsgw_jwks_fetches_total{result="unreachable"})"), "1");
    EXPECT_EQ(sample(m, R"(wsgw_jwks_fetches_total{result="ok"})"), "0");
    EXPECT_EQ(sample(m, "wsgw_jwks_keys"), "0");
    EXPECT_EQ(wsgw::render_prometheus(m).find("\nwsgw_jwks_age_seconds "), std::string::npos)
        << "no age before the first key set";
}

TEST(RenderPrometheus, GivesTheAgeOfTheKeySetInUse) {
    Metrics m;
    m.jwks_enabled = true;
    m.jwks_keys = 3;
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    m.jwks_loaded_at_ms = now_ms - 42'500;
    EXPECT_EQ(sample(m, "wsgw_jwks_keys"), "3");
    auto age = std::stoi(sample(m, "wsgw_jwks_age_seconds"));
    EXPECT_GE(age, 42);
    EXPECT_LE(age, 44);
}

TEST(RenderPrometheus, CountsAuthReloadsByResult) {
    Metrics m;
    Metrics::add(m.auth_reloads_failed);
    EXPECT_EQ(sample(m, R"(wsgw_auth_reloads_total{result="failed"})"), "1");
    EXPECT_EQ(sample(m, R"(wsgw_auth_reloads_total{result="ok"})"), "0");
}

}  // namespace
