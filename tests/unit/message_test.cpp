// validate_message: the spec fixtures, the refusal of every malformed input with its exact reason,
// and the shape of the frame clients receive.
#include "wsgw/message.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "wsgw/message_id.hpp"
#include "wsgw/time_format.hpp"
#include "wsgw/utf8.hpp"

namespace {

using wsgw::Channel;
using wsgw::ChannelKind;
using wsgw::DropReason;
using wsgw::MessageLimits;
using wsgw::MessageType;
using wsgw::PayloadFormat;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;
namespace fs = std::filesystem;

// The injected clock: 2025-12-07T10:00:00Z.
const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days{std::chrono::year{2025} / 12 / 7} + std::chrono::hours{10};
constexpr const char* kNowText = "2025-12-07T10:00:00Z";

// user_noti:u1 and project:p1:u1.
Channel user_channel() { return Channel{ChannelKind::user, "u1", ""}; }
Channel project_channel() { return Channel{ChannelKind::project, "u1", "p1"}; }

wsgw::ValidationResult validate(std::string_view raw, const Channel& channel = user_channel(),
                                const MessageLimits& limits = MessageLimits{}) {
    return wsgw::validate_message(raw, channel, limits, kNow);
}

std::string describe(const wsgw::ValidationResult& r) {
    if (r.ok()) return "accepted, frame " + r.message().frame;
    return "refused with " + std::string(wsgw::to_string(r.rejection().reason)) + " (" + r.rejection().detail + ")";
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

const fs::path kSpecDir = fs::path(WSGW_FIXTURES_DIR) / "spec";

// Fixture base names (NAME for NAME.in.json), sorted.
std::vector<std::string> spec_fixture_names() {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(kSpecDir, ec)) {
        auto file = entry.path().filename().string();
        constexpr std::string_view kSuffix = ".in.json";
        if (file.size() > kSuffix.size() && file.ends_with(kSuffix))
            names.push_back(file.substr(0, file.size() - kSuffix.size()));
    }
    std::sort(names.begin(), names.end());
    return names;
}

// ---------------------------------------------------------------------------------------------
// Spec fixtures
// ---------------------------------------------------------------------------------------------

TEST(SpecFixtures, DirectoryHoldsTheDocumentedExamples) {
    auto names = spec_fixture_names();
    // docs/websocket-messages.md documents at least these layouts; a missing directory or a
    // renamed fixture must not make the parameterized suite below pass vacuously.
    EXPECT_GE(names.size(), 11u) << "expected the spec fixtures in " << kSpecDir;
    for (auto required : {"notification", "alert", "update", "progress_legacy", "progress_phased",
                          "progress_phased_null_analyze", "completed_legacy", "completed_phased"})
        EXPECT_NE(std::find(names.begin(), names.end(), required), names.end())
            << "fixture " << required << ".in.json is missing from " << kSpecDir;
}

TEST(SpecFixtures, EveryInputHasAnExpectedOutput) {
    for (const auto& name : spec_fixture_names())
        EXPECT_TRUE(fs::exists(kSpecDir / (name + ".out.json"))) << name << ".in.json has no " << name << ".out.json";
}

class SpecFixtureTest : public ::testing::TestWithParam<std::tuple<std::string, ChannelKind>> {};

TEST_P(SpecFixtureTest, DeliversTheExpectedPayloadWithTypeAndTimestamp) {
    const auto& [name, kind] = GetParam();
    const Channel channel = kind == ChannelKind::user ? user_channel() : project_channel();
    const std::string channel_name = kind == ChannelKind::user ? "user_noti:u1" : "project:p1:u1";

    const std::string raw_in = read_text(kSpecDir / (name + ".in.json"));
    const std::string raw_out = read_text(kSpecDir / (name + ".out.json"));
    ASSERT_FALSE(raw_in.empty()) << "cannot read " << name << ".in.json";
    const json in = json::parse(raw_in, nullptr, false);
    const json expected_payload = json::parse(raw_out, nullptr, false);
    ASSERT_TRUE(in.is_object()) << name << ".in.json is not a JSON object";
    ASSERT_TRUE(expected_payload.is_object()) << name << ".out.json is not a JSON object";

    auto result = validate(raw_in, channel);
    ASSERT_TRUE(result.ok()) << name << " on " << channel_name << " was " << describe(result);

    const json frame = json::parse(result.message().frame, nullptr, false);
    ASSERT_TRUE(frame.is_object()) << "frame is not a JSON object: " << result.message().frame;
    EXPECT_EQ(frame.size(), 4u) << "frame must carry exactly type, id, payload and timestamp: " << frame.dump();
    EXPECT_EQ(frame.value("id", json()), result.message().id);
    EXPECT_TRUE(wsgw::is_valid_id(result.message().id)) << result.message().id;

    EXPECT_EQ(frame.value("type", json()), in["type"]) << name << ": type must be copied";
    EXPECT_EQ(frame.value("payload", json()), expected_payload)
        << name << " on " << channel_name << ": received payload differs from " << name << ".out.json";

    const bool has_valid_ts =
        in.contains("timestamp") && in["timestamp"].is_string() && wsgw::is_rfc3339(in["timestamp"].get<std::string>());
    if (has_valid_ts)
        EXPECT_EQ(frame.value("timestamp", json()), *wsgw::to_utc_rfc3339(in["timestamp"].get<std::string>()))
            << name << ": a valid timestamp must be kept, in UTC";
    else
        EXPECT_EQ(frame.value("timestamp", json()), kNowText)
            << name << ": without a valid timestamp the gateway stamps its clock";

    // The message metadata agrees with the frame.
    const auto type = wsgw::parse_message_type(in["type"].get<std::string>());
    ASSERT_TRUE(type.has_value());
    EXPECT_EQ(result.message().type, *type);
    const auto& payload = in["payload"];
    EXPECT_EQ(result.message().project_id, payload.value("project_id", std::string()))
        << name << ": project_id must be taken from the payload";
    const bool progress = *type == MessageType::project_progress || *type == MessageType::project_completed;
    const PayloadFormat expected_format = !progress ? PayloadFormat::plain
                                          : (payload.contains("crawl") || payload.contains("analyze"))
                                              ? PayloadFormat::phased
                                              : PayloadFormat::legacy;
    EXPECT_EQ(result.message().format, expected_format)
        << name << ": format is " << wsgw::to_string(result.message().format) << ", expected "
        << wsgw::to_string(expected_format);
}

INSTANTIATE_TEST_SUITE_P(Spec, SpecFixtureTest,
                         ::testing::Combine(::testing::ValuesIn(spec_fixture_names()),
                                            ::testing::Values(ChannelKind::user, ChannelKind::project)),
                         [](const auto& info) {
                             return std::get<0>(info.param) + "_on_" +
                                    std::string(wsgw::to_string(std::get<1>(info.param)));
                         });

// ---------------------------------------------------------------------------------------------
// Malformed inputs: each is refused with one exact reason
// ---------------------------------------------------------------------------------------------

std::string envelope(std::string_view type, std::string_view payload) {
    return R"({"type":")" + std::string(type) + R"(","payload":)" + std::string(payload) + "}";
}

const ojson kLegacy = ojson::parse(
    R"({"project_id":"p1","status":"CRAWLING","total":10,"done":4,"errors":0,"progress_percent":40})");
const ojson kPhased = ojson::parse(
    R"({"project_id":"p1","status":"PROCESSING","overall_progress_percent":42.5,)"
    R"("crawl":{"total":100,"done":60,"errors":2,"progress_percent":60},)"
    R"("analyze":{"total":60,"done":15,"errors":0,"progress_percent":25}})");

std::string progress(const ojson& payload) { return envelope("project_progress", payload.dump()); }

std::string legacy_with(const char* key, const ojson& value) {
    auto p = kLegacy;
    p[key] = value;
    return progress(p);
}
std::string legacy_without(const char* key) {
    auto p = kLegacy;
    p.erase(key);
    return progress(p);
}
std::string phased_with(const char* key, const ojson& value) {
    auto p = kPhased;
    p[key] = value;
    return progress(p);
}
std::string phased_without(const char* key) {
    auto p = kPhased;
    p.erase(key);
    return progress(p);
}
std::string phase_with(const char* phase, const char* key, const ojson& value) {
    auto p = kPhased;
    p[phase][key] = value;
    return progress(p);
}
std::string phase_without(const char* phase, const char* key) {
    auto p = kPhased;
    p[phase].erase(key);
    return progress(p);
}

// {"type":"notification","payload":{"a":[[...]]}} nested `levels` deep in all (the envelope is level 1).
std::string nested_message(std::size_t levels) {
    std::string arrays_open(levels - 2, '['), arrays_close(levels - 2, ']');
    return R"({"type":"notification","payload":{"a":)" + arrays_open + arrays_close + "}}";
}

// A notification whose one string value holds `bytes` as is.
std::string notification_with_text(std::string_view bytes) {
    return R"({"type":"notification","payload":{"title":")" + std::string(bytes) + R"("}})";
}

// A valid notification of exactly `size` bytes (size >= 45).
std::string notification_of_size(std::size_t size) {
    const std::size_t overhead = notification_with_text("").size();
    return notification_with_text(std::string(size - overhead, 'x'));
}

struct Malformed {
    const char* name;
    std::string raw;
    DropReason reason;
    ChannelKind channel = ChannelKind::user;
    std::size_t max_bytes = MessageLimits{}.max_bytes;
};

std::vector<Malformed> malformed_cases() {
    using R = DropReason;
    const auto P = ChannelKind::project;
    std::vector<Malformed> c = {
        // Not JSON
        {"EmptyInput", "", R::not_json},
        {"WhitespaceOnly", " \n\t ", R::not_json},
        {"PlainText", "hello", R::not_json},
        {"TruncatedObject", R"({"type":"notification","payload":{})", R::not_json},
        {"TrailingGarbage", R"({"type":"notification","payload":{}} x)", R::not_json},
        {"SingleQuotedStrings", R"({'type':'notification','payload':{}})", R::not_json},
        {"TrailingComma", R"({"type":"notification","payload":{},})", R::not_json},
        // Not an object
        {"TopLevelArray", R"([{"type":"notification","payload":{}}])", R::not_object},
        {"TopLevelString", R"("notification")", R::not_object},
        {"TopLevelNumber", "42", R::not_object},
        {"TopLevelNull", "null", R::not_object},
        // type
        {"MissingType", R"({"payload":{}})", R::missing_field},
        {"TypeNotString", R"({"type":1,"payload":{}})", R::wrong_type},
        {"UnknownType", envelope("broadcast", "{}"), R::unknown_type},
        {"TypeInWrongCase", envelope("Notification", "{}"), R::unknown_type},
        {"EmptyType", envelope("", "{}"), R::unknown_type},
        {"PingFromRedis", envelope("ping", "{}"), R::client_only_type},
        {"PongFromRedis", envelope("pong", "{}"), R::client_only_type},
        // payload
        {"MissingPayload", R"({"type":"notification"})", R::missing_field},
        {"PayloadArray", envelope("notification", "[]"), R::payload_not_object},
        {"PayloadString", envelope("alert", R"("hello")"), R::payload_not_object},
        {"PayloadNull", envelope("update", "null"), R::payload_not_object},
        {"ProgressPayloadNumber", envelope("project_progress", "3"), R::payload_not_object},
        // Legacy progress: every required field
        {"LegacyMissingProjectId", legacy_without("project_id"), R::missing_field},
        {"LegacyMissingStatus", legacy_without("status"), R::missing_field},
        {"LegacyMissingTotal", legacy_without("total"), R::missing_field},
        {"LegacyMissingDone", legacy_without("done"), R::missing_field},
        {"LegacyMissingErrors", legacy_without("errors"), R::missing_field},
        {"LegacyMissingProgressPercent", legacy_without("progress_percent"), R::missing_field},
        {"CompletedLegacyMissingDone",
         envelope("project_completed", R"({"project_id":"p1","status":"COMPLETED","total":1,"errors":0,"progress_percent":100})"),
         R::missing_field},
        // Phase-based progress: every required field
        {"PhasedMissingProjectId", phased_without("project_id"), R::missing_field},
        {"PhasedMissingStatus", phased_without("status"), R::missing_field},
        {"PhasedMissingOverallProgressPercent", phased_without("overall_progress_percent"), R::missing_field},
        {"CrawlMissingTotal", phase_without("crawl", "total"), R::missing_field},
        {"CrawlMissingDone", phase_without("crawl", "done"), R::missing_field},
        {"CrawlMissingErrors", phase_without("crawl", "errors"), R::missing_field},
        {"CrawlMissingProgressPercent", phase_without("crawl", "progress_percent"), R::missing_field},
        {"AnalyzeMissingTotal", phase_without("analyze", "total"), R::missing_field},
        {"AnalyzeMissingProgressPercent", phase_without("analyze", "progress_percent"), R::missing_field},
        // A float where an integer belongs
        {"LegacyTotalFloat", legacy_with("total", 5.0), R::wrong_type},
        {"LegacyDoneFloat", legacy_with("done", 4.5), R::wrong_type},
        {"CrawlDoneFloat", phase_with("crawl", "done", 5.0), R::wrong_type},
        {"AnalyzeErrorsFloat", phase_with("analyze", "errors", 0.0), R::wrong_type},
        {"LegacyTotalWrittenWithExponent",
         envelope("project_progress",
                  R"({"project_id":"p1","status":"CRAWLING","total":1e1,"done":4,"errors":0,"progress_percent":40})"),
         R::wrong_type},
        // Negative counts
        {"LegacyNegativeTotal", legacy_with("total", -1), R::out_of_range},
        {"LegacyNegativeErrors", legacy_with("errors", -1), R::out_of_range},
        {"CrawlNegativeTotal", phase_with("crawl", "total", -3), R::out_of_range},
        {"AnalyzeNegativeErrors", phase_with("analyze", "errors", -1), R::out_of_range},
        // Percent outside [0, 100]
        {"LegacyPercentAbove100", legacy_with("progress_percent", 100.5), R::out_of_range},
        {"LegacyPercentBelow0", legacy_with("progress_percent", -0.1), R::out_of_range},
        {"OverallPercentAbove100", phased_with("overall_progress_percent", 101), R::out_of_range},
        {"OverallPercentBelow0", phased_with("overall_progress_percent", -1), R::out_of_range},
        {"CrawlPercentAbove100", phase_with("crawl", "progress_percent", 150), R::out_of_range},
        {"AnalyzePercentBelow0", phase_with("analyze", "progress_percent", -5), R::out_of_range},
        // Strings and booleans for numbers
        {"LegacyTotalString", legacy_with("total", "10"), R::wrong_type},
        {"LegacyPercentString", legacy_with("progress_percent", "40"), R::wrong_type},
        {"OverallPercentString", phased_with("overall_progress_percent", "42.5"), R::wrong_type},
        {"CrawlDoneString", phase_with("crawl", "done", "60"), R::wrong_type},
        {"LegacyDoneBoolean", legacy_with("done", true), R::wrong_type},
        {"LegacyPercentBoolean", legacy_with("progress_percent", false), R::wrong_type},
        {"CrawlPercentBoolean", phase_with("crawl", "progress_percent", true), R::wrong_type},
        {"LegacyTotalNull", legacy_with("total", nullptr), R::wrong_type},
        // Statuses
        {"LegacyStatusLowercase", legacy_with("status", "crawling"), R::invalid_status},
        {"LegacyStatusUnknown", legacy_with("status", "RUNNING"), R::invalid_status},
        {"LegacyStatusEmpty", legacy_with("status", ""), R::invalid_status},
        {"LegacyStatusNotString", legacy_with("status", 1), R::wrong_type},
        {"PhasedStatusLegacyCrawling", phased_with("status", "CRAWLING"), R::invalid_status},
        {"PhasedStatusLegacyCompleted", phased_with("status", "COMPLETED"), R::invalid_status},
        {"PhasedStatusLegacyPaused", phased_with("status", "PAUSED"), R::invalid_status},
        // done over total
        {"CrawlDoneOverTotal", phase_with("crawl", "done", 101), R::out_of_range},
        {"AnalyzeDoneOverTotal", phase_with("analyze", "done", 61), R::out_of_range},
        // Phases that are not objects
        {"CrawlString", phased_with("crawl", "60%"), R::wrong_type},
        {"CrawlArray", phased_with("crawl", ojson::array()), R::wrong_type},
        {"AnalyzeNumber", phased_with("analyze", 5), R::wrong_type},
        {"AnalyzeFalse", phased_with("analyze", false), R::wrong_type},
        // project_id
        {"ProgressProjectIdNumber", legacy_with("project_id", 7), R::wrong_type},
        {"ProgressProjectIdEmpty", legacy_with("project_id", ""), R::wrong_type},
        {"PhasedProjectIdNull", phased_with("project_id", nullptr), R::wrong_type},
        {"LegacyProjectMismatch", legacy_with("project_id", "p2"), R::project_mismatch, P},
        {"PhasedProjectMismatch", phased_with("project_id", "p2"), R::project_mismatch, P},
        {"ProjectIdDiffersOnlyInCase", legacy_with("project_id", "P1"), R::project_mismatch, P},
        {"NotificationProjectMismatch", envelope("notification", R"({"project_id":"p2"})"), R::project_mismatch, P},
        {"NotificationProjectIdNumber", envelope("notification", R"({"project_id":7})"), R::project_mismatch, P},
        {"AlertProjectIdNull", envelope("alert", R"({"project_id":null})"), R::project_mismatch, P},
        // Size
        {"OneByteOverMaxBytes", notification_of_size(257), R::too_large, ChannelKind::user, 256},
        {"FarOverMaxBytes", notification_of_size(4096), R::too_large, ChannelKind::user, 256},
        // UTF-8
        {"InvalidUtf8ByteFF", notification_with_text("\xff"), R::invalid_utf8},
        {"InvalidUtf8OverlongSlash", notification_with_text("\xc0\xaf"), R::invalid_utf8},
        {"InvalidUtf8OverlongThreeByte", notification_with_text("\xe0\x80\xaf"), R::invalid_utf8},
        {"InvalidUtf8Surrogate", notification_with_text("\xed\xa0\x80"), R::invalid_utf8},
        {"InvalidUtf8AboveU10FFFF", notification_with_text("\xf4\x90\x80\x80"), R::invalid_utf8},
        {"InvalidUtf8LoneContinuation", notification_with_text("\x80"), R::invalid_utf8},
        {"InvalidUtf8TruncatedSequence", notification_with_text("\xe2\x82"), R::invalid_utf8},
        {"InvalidUtf8TruncatedAtEnd", R"({"type":"notification","payload":{}})" + std::string("\xe2\x82"),
         R::invalid_utf8},
        {"InvalidUtf8OutsideStrings", std::string("\xfe") + R"({"type":"notification","payload":{}})",
         R::invalid_utf8},
        // Depth
        {"Nesting33Levels", nested_message(33), R::too_deep},
        {"Nesting100LevelsOfObjects", R"({"type":"notification","payload":)" + [] {
             std::string s;
             for (int i = 0; i < 100; ++i) s += R"({"a":)";
             s += "1";
             for (int i = 0; i < 100; ++i) s += "}";
             return s;
         }() + "}", R::too_deep},
        {"DeepUnbalancedBrackets", std::string(40, '['), R::too_deep},
    };
    return c;
}

class MalformedMessageTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedMessageTest, IsRefusedWithTheExactReason) {
    const auto& m = GetParam();
    MessageLimits limits;
    limits.max_bytes = m.max_bytes;
    const Channel channel = m.channel == ChannelKind::user ? user_channel() : project_channel();
    auto result = validate(m.raw, channel, limits);
    ASSERT_FALSE(result.ok()) << m.name << " must be dropped, but was " << describe(result) << "\ninput: " << m.raw;
    EXPECT_EQ(wsgw::to_string(result.rejection().reason), wsgw::to_string(m.reason))
        << m.name << " was " << describe(result) << "\ninput: " << m.raw;
    EXPECT_FALSE(result.rejection().detail.empty()) << m.name << ": a rejection must say what is wrong";
}

INSTANTIATE_TEST_SUITE_P(Malformed, MalformedMessageTest, ::testing::ValuesIn(malformed_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(MalformedMessages, TableCoversAtLeastFortyInputs) {
    EXPECT_GE(malformed_cases().size(), 40u);
}

TEST(MalformedMessages, OversizeHelperBuildsTheRequestedSize) {
    EXPECT_EQ(notification_of_size(257).size(), 257u);
    EXPECT_TRUE(nlohmann::json::accept(notification_of_size(257)));
}

// ---------------------------------------------------------------------------------------------
// Accepted edge cases and the shape of the frame
// ---------------------------------------------------------------------------------------------

json frame_of(const wsgw::ValidationResult& r) { return json::parse(r.message().frame, nullptr, false); }

TEST(MessageFrame, RendersTheDocumentedFrameByteForByte) {
    const std::string raw =
        R"({"type": "notification", "payload": {"title":"Build finished"}, "timestamp": "2025-12-07T10:00:00Z"})";
    auto r = validate(raw);
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.message().frame, R"({"type":"notification","id":")" + wsgw::derived_message_id(user_channel(), raw) +
                                     R"(","payload":{"title":"Build finished"},"timestamp":"2025-12-07T10:00:00Z"})");
}

TEST(MessageFrame, ForwardsAnUnchangedPayloadAsThePublishersBytes) {
    auto r = validate(R"({"type":"update","payload":{ "a" : 1.50, "b":"\u00e9" },"timestamp":"2025-12-07T10:00:00Z","id":"m-1"})");
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.message().frame,
              R"({"type":"update","id":"m-1","payload":{ "a" : 1.50, "b":"\u00e9" },"timestamp":"2025-12-07T10:00:00Z"})");
}

TEST(MessageFrame, ForwardsTheLastOfDuplicatePayloadMembersAsValidated) {
    auto r = validate(R"({"type":"alert","payload":{"first":true},"payload":{"second":true}})");
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_NE(r.message().frame.find(R"("payload":{"second":true})"), std::string::npos) << r.message().frame;
    EXPECT_EQ(r.message().frame.find("first"), std::string::npos) << r.message().frame;
}

TEST(MessageFrame, ReserializesAPayloadWhoseNullPhaseWasRemoved) {
    auto r = validate(
        R"({"type":"project_progress","payload":{"project_id":"p1", "status":"PROCESSING","overall_progress_percent":5,"analyze":null,"crawl":{"total":1,"done":0,"errors":0,"progress_percent":0}}})",
        project_channel());
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.message().frame.find("analyze"), std::string::npos) << r.message().frame;
    EXPECT_NE(r.message().frame.find(R"("payload":{"project_id":"p1","status":"PROCESSING")"), std::string::npos)
        << r.message().frame;
}

TEST(MessageFrame, FallsBackToReserializingWhenAnEnvelopeKeyIsEscaped) {
    auto r = validate(R"({"type":"alert","pay\u006coad":{"x": 1}})");
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_NE(r.message().frame.find(R"("payload":{"x":1})"), std::string::npos) << r.message().frame;
}

TEST(MessageFrame, DoesNotForwardUnknownEnvelopeMembers) {
    auto r = validate(
        R"({"channel":"x","type":"alert","payload":{"level":"info"},"secret":"s","timestamp":"2025-12-07T10:00:00Z","id":7})");
    ASSERT_TRUE(r.ok()) << describe(r);
    auto frame = frame_of(r);
    std::vector<std::string> keys;
    for (auto it = frame.begin(); it != frame.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(keys, (std::vector<std::string>{"id", "payload", "timestamp", "type"})) << r.message().frame;
    EXPECT_EQ(frame["id"], "7") << "the publisher's numeric id is kept, as text";
}

TEST(MessageFrame, PreservesThePayloadKeyOrderOfLegacyProgress) {
    // Deliberately not alphabetical, and not the order of the spec example.
    const std::string payload =
        R"({"status":"CRAWLING","progress_percent":40,"project_id":"p1","errors":0,"total":10,"done":4,"zeta":1,"alpha":2})";
    auto r = validate(envelope("project_progress", payload), project_channel());
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_NE(r.message().frame.find(R"("payload":)" + payload), std::string::npos)
        << "legacy payloads are forwarded unchanged, keys in the publisher's order; frame: " << r.message().frame;
}

TEST(MessageFrame, PreservesThePayloadKeyOrderOfPlainMessages) {
    const std::string payload = R"({"z":1,"b":{"y":true,"a":null},"a":[3,2,1]})";
    auto r = validate(envelope("update", payload));
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_NE(r.message().frame.find(R"("payload":)" + payload), std::string::npos) << r.message().frame;
}

TEST(MessageFrame, PlacesTypeIdPayloadTimestampInThatOrder) {
    auto r = validate(R"({"timestamp":"2025-12-07T09:00:00Z","payload":{},"id":"x1","type":"update"})");
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.message().frame, R"({"type":"update","id":"x1","payload":{},"timestamp":"2025-12-07T09:00:00Z"})");
}

// --- message ids ---------------------------------------------------------------------------

TEST(MessageId, IsTheSameForTheSameBytesOnTheSameChannel) {
    const std::string raw = R"({"type":"alert","payload":{"level":"info"}})";
    auto a = validate(raw), b = validate(raw);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a.message().id, b.message().id);
    EXPECT_EQ(a.message().id.size(), 11u);
    EXPECT_TRUE(wsgw::is_valid_id(a.message().id)) << a.message().id;
}

TEST(MessageId, DiffersWithTheChannelOrAnyByte) {
    const std::string raw = R"({"type":"alert","payload":{"level":"info"}})";
    const auto base = wsgw::derived_message_id(user_channel(), raw);
    EXPECT_NE(base, wsgw::derived_message_id(Channel{ChannelKind::user, "u2", ""}, raw));
    EXPECT_NE(base, wsgw::derived_message_id(Channel{ChannelKind::project, "u1", "p1"}, raw));
    EXPECT_NE(base, wsgw::derived_message_id(user_channel(), R"({"type":"alert","payload":{"level":"infO"}})"));
    EXPECT_NE(wsgw::derived_message_id(Channel{ChannelKind::project, "u1", "ab"}, raw),
              wsgw::derived_message_id(Channel{ChannelKind::project, "1", "ab:u"}, raw))
        << "the channel's parts are not run together";
}

TEST(MessageId, HonoursAValidPublisherId) {
    auto r = validate(R"({"type":"alert","payload":{},"id":"order-42_A"})");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.message().id, "order-42_A");
    auto n = validate(R"({"type":"alert","payload":{},"id":42})");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n.message().id, "42");
}

TEST(MessageId, DerivesAnIdWhenThePublishersIsNotUsable) {
    for (const char* id : {R"("a b")", R"("")", "-1", "1.5", "{}", "null", "true",
                           R"("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")"}) {
        const std::string raw = R"({"type":"alert","payload":{},"id":)" + std::string(id) + "}";
        auto r = validate(raw);
        ASSERT_TRUE(r.ok()) << "a bad id must not drop the message: " << raw;
        EXPECT_EQ(r.message().id, wsgw::derived_message_id(user_channel(), raw)) << raw;
    }
}

TEST(MessageFrame, RemovesANullPhase) {
    auto p = kPhased;
    p["analyze"] = nullptr;
    auto r = validate(progress(p));
    ASSERT_TRUE(r.ok()) << describe(r);
    auto payload = frame_of(r)["payload"];
    EXPECT_FALSE(payload.contains("analyze")) << "clients never receive a null phase: " << payload.dump();
    EXPECT_TRUE(payload.contains("crawl")) << payload.dump();
}

TEST(MessageFrame, RemovesBothPhasesWhenBothAreNull) {
    auto p = kPhased;
    p["crawl"] = nullptr;
    p["analyze"] = nullptr;
    auto r = validate(progress(p));
    ASSERT_TRUE(r.ok()) << describe(r);
    auto payload = frame_of(r)["payload"];
    EXPECT_FALSE(payload.contains("crawl")) << payload.dump();
    EXPECT_FALSE(payload.contains("analyze")) << payload.dump();
    EXPECT_EQ(r.message().format, PayloadFormat::phased) << "a null phase still makes the payload phase-based";
}

TEST(MessageFrame, LeavesAnAbsentPhaseAbsent) {
    auto p = kPhased;
    p.erase("analyze");
    auto r = validate(progress(p));
    ASSERT_TRUE(r.ok()) << describe(r);
    auto payload = frame_of(r)["payload"];
    EXPECT_FALSE(payload.contains("analyze")) << "an absent phase must not be added: " << payload.dump();
    EXPECT_EQ(payload, json::parse(p.dump()));
}

TEST(MessageFrame, ForwardsExtraPayloadMembersOfPhasedProgressUnchanged) {
    auto p = kPhased;
    p["error"] = "crawler blocked";
    p["meta"] = {{"k", {1, 2}}};
    auto r = validate(progress(p));
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(frame_of(r)["payload"], json::parse(p.dump()));
}

TEST(MessageFrame, KeepsMultiByteCharactersIntact) {
    const std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80";  // café € 🚀
    auto r = validate(notification_with_text(text));
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(frame_of(r)["payload"]["title"], text);
}

TEST(MessageTimestamp, DeliversAValidTimestampInUtc) {
    const std::pair<const char*, const char*> cases[] = {
        {"2025-12-07T10:00:00Z", "2025-12-07T10:00:00Z"},
        {"2025-12-07T10:00:00.250+01:00", "2025-12-07T09:00:00.250Z"},
        {"2024-02-29t23:59:59z", "2024-02-29T23:59:59Z"},
        {"2025-06-30T23:59:60Z", "2025-06-30T23:59:60Z"},
        {"2025-01-01T00:00:00.123456789-05:30", "2025-01-01T05:30:00.123456789Z"},
    };
    for (const auto& [in, out] : cases) {
        auto r = validate(R"({"type":"update","payload":{},"timestamp":")" + std::string(in) + R"("})");
        ASSERT_TRUE(r.ok()) << describe(r);
        EXPECT_EQ(frame_of(r)["timestamp"], out) << in;
    }
}

TEST(MessageTimestamp, ConvertsAcrossDayMonthAndYearBoundaries) {
    EXPECT_EQ(wsgw::to_utc_rfc3339("2025-01-01T00:30:00+01:00"), "2024-12-31T23:30:00Z");
    EXPECT_EQ(wsgw::to_utc_rfc3339("2024-02-28T23:00:00-02:00"), "2024-02-29T01:00:00Z");
    EXPECT_EQ(wsgw::to_utc_rfc3339("2023-02-28T23:00:00-02:00"), "2023-03-01T01:00:00Z");
    EXPECT_EQ(wsgw::to_utc_rfc3339("2025-12-31T23:59:59.9-00:01"), "2026-01-01T00:00:59.9Z");
    EXPECT_EQ(wsgw::to_utc_rfc3339("2025-06-01T12:00:00+00:00"), "2025-06-01T12:00:00Z");
}

TEST(MessageTimestamp, RefusesToConvertWhatIsNotRfc3339OrLeavesYear0000To9999) {
    EXPECT_EQ(wsgw::to_utc_rfc3339("0000-01-01T00:00:00+01:00"), std::nullopt);
    EXPECT_EQ(wsgw::to_utc_rfc3339("9999-12-31T23:30:00-01:00"), std::nullopt);
    EXPECT_EQ(wsgw::to_utc_rfc3339("2025-12-07 10:00:00Z"), std::nullopt);
    EXPECT_EQ(wsgw::to_utc_rfc3339("2025-12-07T10:00:00+2:00"), std::nullopt);
}

TEST(MessageTimestamp, StampsTheClockWhenTimestampIsAbsent) {
    auto r = validate(R"({"type":"update","payload":{}})");
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(frame_of(r)["timestamp"], kNowText);
}

TEST(MessageTimestamp, StampsTheClockWhenTimestampIsInvalid) {
    for (const char* ts :
         {"2025-12-07 10:00:00Z", "2025-02-29T10:00:00Z", "yesterday", "", "2025-12-07T10:00:00", "1733565600"}) {
        auto r = validate(R"({"type":"update","payload":{},"timestamp":")" + std::string(ts) + R"("})");
        ASSERT_TRUE(r.ok()) << "an invalid timestamp is replaced, not refused: " << describe(r);
        EXPECT_EQ(frame_of(r)["timestamp"], kNowText) << "timestamp \"" << ts << "\" is not RFC 3339";
    }
}

TEST(MessageTimestamp, StampsTheClockWhenTimestampIsNotAString) {
    for (const char* ts : {"1733565600", "null", "{}", "true"}) {
        auto r = validate(R"({"type":"update","payload":{},"timestamp":)" + std::string(ts) + "}");
        ASSERT_TRUE(r.ok()) << describe(r);
        EXPECT_EQ(frame_of(r)["timestamp"], kNowText) << "timestamp " << ts;
    }
}

TEST(MessageTimestamp, StampsWholeSecondsOfTheInjectedClock) {
    auto now = kNow + std::chrono::minutes(5) + std::chrono::milliseconds(999);
    auto r = wsgw::validate_message(R"({"type":"update","payload":{}})", user_channel(), MessageLimits{}, now);
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(frame_of(r)["timestamp"], "2025-12-07T10:05:00Z");
}

// ---------------------------------------------------------------------------------------------
// Progress rules that accept
// ---------------------------------------------------------------------------------------------

TEST(ProgressRules, AcceptsDoneOverTotalWhenTotalIsZero) {
    auto r = validate(phase_with("analyze", "total", 0));  // analyze.done is 15
    EXPECT_TRUE(r.ok()) << "a phase whose total is 0 is not sized yet, so done may exceed it; " << describe(r);
}

TEST(ProgressRules, AcceptsDoneEqualToTotal) {
    auto r = validate(phase_with("crawl", "done", 100));
    EXPECT_TRUE(r.ok()) << describe(r);
}

TEST(ProgressRules, AcceptsPercentBoundsZeroAndHundred) {
    for (double v : {0.0, 100.0}) {
        EXPECT_TRUE(validate(legacy_with("progress_percent", v)).ok()) << "legacy percent " << v;
        EXPECT_TRUE(validate(phased_with("overall_progress_percent", v)).ok()) << "overall percent " << v;
        EXPECT_TRUE(validate(phase_with("crawl", "progress_percent", v)).ok()) << "crawl percent " << v;
    }
}

TEST(ProgressRules, AcceptsEveryLegacyStatus) {
    for (const char* s : {"CRAWLING", "COMPLETED", "PAUSED", "INITIALIZING", "PROCESSING", "DONE", "FAILED"}) {
        auto r = validate(legacy_with("status", s));
        EXPECT_TRUE(r.ok()) << "legacy status " << s << " was " << describe(r);
        if (r.ok()) {
            EXPECT_EQ(r.message().format, PayloadFormat::legacy) << "status " << s;
        }
    }
}

TEST(ProgressRules, AcceptsEveryPhasedStatus) {
    for (const char* s : {"INITIALIZING", "PROCESSING", "DONE", "FAILED"}) {
        auto r = validate(phased_with("status", s));
        EXPECT_TRUE(r.ok()) << "phased status " << s << " was " << describe(r);
    }
}

TEST(ProgressRules, TreatsAPayloadWithOnlyAnalyzeAsPhased) {
    auto p = kPhased;
    p.erase("crawl");
    auto r = validate(progress(p));
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.message().format, PayloadFormat::phased);
}

TEST(ProgressRules, DoesNotRequireLegacyCountersInAPhasedPayload) {
    // kPhased has no top-level total/done/errors/progress_percent.
    auto r = validate(progress(kPhased));
    EXPECT_TRUE(r.ok()) << describe(r);
}

TEST(ProgressRules, AcceptsLargeUnsignedCounts) {
    auto r = validate(legacy_with("total", std::uint64_t{18446744073709551615ull}));
    EXPECT_TRUE(r.ok()) << describe(r);
}

TEST(ProgressRules, DetailNamesTheOffendingField) {
    auto r = validate(phase_without("crawl", "done"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.rejection().detail.find("payload.crawl.done"), std::string::npos) << r.rejection().detail;
}

TEST(ProgressRules, DetailNeverEchoesTheFieldValue) {
    auto s = validate(legacy_with("status", "TOPSECRET-VALUE"));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.rejection().detail.find("TOPSECRET-VALUE"), std::string::npos)
        << "details must never echo field values: " << s.rejection().detail;
}

TEST(ProgressRules, ReportsMissingProjectIdBeforeOtherFields) {
    auto r = validate(envelope("project_progress", "{}"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.rejection().reason, DropReason::missing_field);
    EXPECT_NE(r.rejection().detail.find("project_id"), std::string::npos) << r.rejection().detail;
}

// ---------------------------------------------------------------------------------------------
// Channels and project ids
// ---------------------------------------------------------------------------------------------

TEST(MessageChannel, AcceptsAMatchingProjectIdOnAProjectChannel) {
    auto r = validate(progress(kLegacy), project_channel());
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.message().project_id, "p1");
}

TEST(MessageChannel, AcceptsAPlainMessageWithoutProjectIdOnAProjectChannel) {
    auto r = validate(envelope("notification", R"({"title":"hi"})"), project_channel());
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_TRUE(r.message().project_id.empty());
}

TEST(MessageChannel, AcceptsAnyProjectIdOnAUserChannel) {
    auto r = validate(legacy_with("project_id", "p2"), user_channel());
    ASSERT_TRUE(r.ok()) << "the project_id rule only binds project channels; " << describe(r);
    EXPECT_EQ(r.message().project_id, "p2");
}

TEST(MessageChannel, TakesProjectIdFromAPlainPayload) {
    auto r = validate(envelope("alert", R"({"project_id":"p9","level":"info"})"));
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_EQ(r.message().project_id, "p9");
    EXPECT_EQ(r.message().format, PayloadFormat::plain);
}

TEST(MessageChannel, LeavesProjectIdEmptyWhenAPlainPayloadCarriesANonString) {
    auto r = validate(envelope("alert", R"({"project_id":7})"), user_channel());
    ASSERT_TRUE(r.ok()) << describe(r);
    EXPECT_TRUE(r.message().project_id.empty()) << "a non-string project_id must not become a routing key";
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

TEST(MessageSizeAndDepth, AcceptsAMessageOfExactlyMaxBytes) {
    MessageLimits limits;
    limits.max_bytes = 256;
    auto r = validate(notification_of_size(256), user_channel(), limits);
    EXPECT_TRUE(r.ok()) << describe(r);
}

TEST(MessageSizeAndDepth, AcceptsExactly64KiBByDefault) {
    auto r = validate(notification_of_size(64 * 1024));
    EXPECT_TRUE(r.ok()) << "64 KiB is within the default max_message_bytes; " << describe(r);
}

TEST(MessageSizeAndDepth, RefusesOneByteOver64KiBByDefault) {
    auto r = validate(notification_of_size(64 * 1024 + 1));
    ASSERT_FALSE(r.ok()) << "the default max_message_bytes is 64 KiB";
    EXPECT_EQ(r.rejection().reason, DropReason::too_large) << describe(r);
}

TEST(MessageSizeAndDepth, AcceptsNestingOfExactly32Levels) {
    auto r = validate(nested_message(32));
    EXPECT_TRUE(r.ok()) << "32 levels (envelope included) are allowed; " << describe(r);
}

TEST(MessageSizeAndDepth, IgnoresBracketsInsideStringsWhenMeasuringDepth) {
    std::string brackets(100, '[');
    auto r = validate(notification_with_text(brackets + R"(\"[[[[\\)" + std::string(50, '{')));
    EXPECT_TRUE(r.ok()) << "brackets in strings, escaped quotes and backslashes are not nesting; " << describe(r);
}

TEST(MessageSizeAndDepth, HonoursACustomMaxDepth) {
    MessageLimits limits;
    limits.max_depth = 3;
    EXPECT_TRUE(validate(nested_message(3), user_channel(), limits).ok());
    auto r = validate(nested_message(4), user_channel(), limits);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.rejection().reason, DropReason::too_deep);
}

TEST(MessageSizeAndDepth, ChecksSizeBeforeUtf8) {
    MessageLimits limits;
    limits.max_bytes = 10;
    auto r = validate("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", user_channel(), limits);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.rejection().reason, DropReason::too_large) << "the cheapest check runs first";
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

TEST(MessageNames, DropReasonNamesMatchTheDocumentedLabels) {
    const std::array<const char*, wsgw::kDropReasonCount> expected = {
        "too_large",  "invalid_utf8",       "too_deep",      "not_json",   "not_object",
        "unknown_type", "client_only_type", "payload_not_object", "missing_field", "wrong_type",
        "out_of_range", "invalid_status",   "project_mismatch",   "bad_channel"};
    for (std::size_t i = 0; i < expected.size(); ++i)
        EXPECT_EQ(wsgw::to_string(static_cast<DropReason>(i)), expected[i]) << "DropReason #" << i;
}

TEST(MessageNames, MessageTypeNamesRoundTripThroughParse) {
    const std::array<const char*, wsgw::kMessageTypeCount> expected = {
        "notification", "alert", "update", "ping", "pong", "project_progress", "project_completed"};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        auto t = static_cast<MessageType>(i);
        EXPECT_EQ(wsgw::to_string(t), expected[i]);
        EXPECT_EQ(wsgw::parse_message_type(expected[i]), t) << expected[i];
    }
}

TEST(MessageNames, ParseMessageTypeRefusesUnknownNames) {
    for (const char* name : {"", "Notification", "progress", "project_progress ", "notification\n"})
        EXPECT_FALSE(wsgw::parse_message_type(name).has_value()) << '"' << name << '"';
}

TEST(MessageNames, PayloadFormatNames) {
    EXPECT_EQ(wsgw::to_string(PayloadFormat::plain), "plain");
    EXPECT_EQ(wsgw::to_string(PayloadFormat::legacy), "legacy");
    EXPECT_EQ(wsgw::to_string(PayloadFormat::phased), "phased");
}

// ---------------------------------------------------------------------------------------------
// is_valid_utf8 at the edges of the ranges
// ---------------------------------------------------------------------------------------------

TEST(Utf8, AcceptsTheLargestCodePointOfEachLength) {
    EXPECT_TRUE(wsgw::is_valid_utf8("\x7f"));
    EXPECT_TRUE(wsgw::is_valid_utf8("\xdf\xbf"));          // U+07FF
    EXPECT_TRUE(wsgw::is_valid_utf8("\xef\xbf\xbf"));      // U+FFFF
    EXPECT_TRUE(wsgw::is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

TEST(Utf8, AcceptsCodePointsAroundTheSurrogateRange) {
    EXPECT_TRUE(wsgw::is_valid_utf8("\xed\x9f\xbf"));  // U+D7FF
    EXPECT_TRUE(wsgw::is_valid_utf8("\xee\x80\x80"));  // U+E000
    EXPECT_FALSE(wsgw::is_valid_utf8("\xed\xbf\xbf"));  // U+DFFF
}

TEST(Utf8, AcceptsEmptyAndEmbeddedNul) {
    EXPECT_TRUE(wsgw::is_valid_utf8(""));
    EXPECT_TRUE(wsgw::is_valid_utf8(std::string_view("a\0b", 3)));
}

TEST(Utf8, RefusesOverlongFourByteAndFiveByteForms) {
    EXPECT_FALSE(wsgw::is_valid_utf8("\xf0\x8f\xbf\xbf"));  // overlong U+FFFF
    EXPECT_FALSE(wsgw::is_valid_utf8("\xf8\x88\x80\x80\x80"));
    EXPECT_FALSE(wsgw::is_valid_utf8("\xc1\xbf"));  // overlong U+007F
}

TEST(Utf8, RefusesALeadByteFollowedByAnAsciiByte) {
    EXPECT_FALSE(wsgw::is_valid_utf8("\xc3("));
    EXPECT_FALSE(wsgw::is_valid_utf8("\xe2\x82("));
}

}  // namespace
