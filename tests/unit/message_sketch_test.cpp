// sketch_message: what a message kept raw is filed under must be what validation would say, and
// whatever it cannot read plainly is sent to validation at once.
#include "wsgw/message_sketch.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

using wsgw::Channel;
using wsgw::ChannelKind;
using wsgw::MessageType;
using wsgw::PayloadFormat;
namespace fs = std::filesystem;

const Channel kUser{ChannelKind::user, "u1", ""};
const Channel kProject{ChannelKind::project, "u1", "p1"};
const wsgw::MessageLimits kLimits;
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'765'000'000));

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(MessageSketch, AgreesWithValidationOnEverySpecFixture) {
    int checked = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(WSGW_FIXTURES_DIR) / "spec")) {
        const auto file = entry.path().filename().string();
        if (!file.ends_with(".in.json")) continue;
        const std::string raw = read_text(entry.path());
        for (const Channel* channel : {&kUser, &kProject}) {
            auto result = wsgw::validate_message(raw, *channel, kLimits, kNow);
            auto sketch = wsgw::sketch_message(raw, *channel, kLimits);
            if (!result.ok()) continue;
            ASSERT_TRUE(sketch) << file << ": a valid message a publisher sends as is must be kept raw";
            EXPECT_EQ(sketch->type, result.message().type) << file;
            EXPECT_EQ(sketch->format, result.message().format) << file;
            EXPECT_EQ(sketch->project_id, result.message().project_id) << file;
            ++checked;
        }
    }
    EXPECT_GE(checked, 11) << "the spec fixtures were not found";
}

TEST(MessageSketch, ReadsTypeFormatAndProject) {
    auto s = wsgw::sketch_message(
        R"( { "id":"x", "payload" : {"project_id":"p1","crawl":{"a":[1,{"b":"}"}]}}, "type":"project_progress"})", kProject,
        kLimits);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->type, MessageType::project_progress);
    EXPECT_EQ(s->format, PayloadFormat::phased);
    EXPECT_EQ(s->project_id, "p1");
    s = wsgw::sketch_message(R"({"type":"notification","payload":{"title":"t"}})", kUser, kLimits);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->format, PayloadFormat::plain);
    EXPECT_TRUE(s->project_id.empty());
}

TEST(MessageSketch, SkipsEscapedQuotesAndBackslashRunsInStrings) {
    // t holds escaped quotes and a brace; u ends in an escaped backslash, so its next quote closes
    // it; v's string ends in a backslash then an escaped quote.
    auto s = wsgw::sketch_message(
        R"({"payload":{"t":"a\"},\"","u":"b\\","project_id":"p1","v":["\\\""]},"type":"project_completed"})",
        kProject, kLimits);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->type, MessageType::project_completed);
    EXPECT_EQ(s->project_id, "p1");
}

TEST(MessageSketch, SendsWhatItCannotReadPlainlyToValidationAtOnce) {
    for (const char* raw : {
             "not json",
             "[1,2]",
             R"({"payload":{}})",
             R"({"type":"notification"})",
             R"({"type":"ping","payload":{}})",
             R"({"type":"pong","payload":{}})",
             R"({"type":"shout","payload":{}})",
             R"({"type":"notification","payload":"text"})",
             R"({"type":"noti\u0066ication","payload":{}})",
             R"({"typ\u0065":"notification","payload":{}})",
             R"({"type":"project_progress","payload":{"status":"DONE"}})",
             R"({"type":"project_completed","payload":{"project_id":""}})",
             R"({"type":"project_progress","payload":{"project_id":7}})",
             R"({"type":"notification","payload":{"project_id":"p\u0031"}})",
             R"({"type":"notification","payload":{"project_id":"p2"}})",
             R"({"type":"notification","payload":{)",
         })
        EXPECT_FALSE(wsgw::sketch_message(raw, kProject, kLimits)) << raw;
    wsgw::MessageLimits small;
    small.max_bytes = 10;
    EXPECT_FALSE(wsgw::sketch_message(R"({"type":"notification","payload":{}})", kUser, small)) << "too large";
}

// The sketch reads unvalidated bytes: cut anywhere, a message must not be read past its end (the
// sanitizer build checks the reads), and what it says of a cut message is validated later anyway.
TEST(MessageSketch, ReadsNoFurtherThanTheTextOnAnyTruncation) {
    const std::string raw =
        R"({"type":"project_progress","payload":{"project_id":"p1","status":"PROCESSING","overall_progress_percent":42.5,"crawl":{"total":100,"done":60,"errors":2,"progress_percent":60,"s":"a\"}"},"analyze":null},"timestamp":"2025-12-07T10:00:00Z"})";
    for (std::size_t n = 0; n < raw.size(); ++n) {
        const std::string cut = raw.substr(0, n);  // its own allocation: ASan sees a read past it
        auto s = wsgw::sketch_message(cut, kProject, kLimits);
        EXPECT_FALSE(s) << "an object cut at " << n << " cannot be read to its end";
    }
    EXPECT_TRUE(wsgw::sketch_message(raw, kProject, kLimits));
}

}  // namespace
