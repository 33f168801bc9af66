// Frames clients send (ping or ignored), the pong answer, and the close codes of the client table.
#include "wsgw/client_frames.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "wsgw/close_codes.hpp"

namespace {

using wsgw::ClientFrame;
using wsgw::classify_client_text;

const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days{std::chrono::year{2025} / 12 / 7} + std::chrono::hours{10};

const char* name(ClientFrame f) { return f == ClientFrame::ping ? "ping" : "ignored"; }

TEST(ClassifyClientText, RecognisesAPing) {
    EXPECT_EQ(classify_client_text(R"({"type":"ping"})"), ClientFrame::ping);
}

TEST(ClassifyClientText, RecognisesAPingWithWhitespace) {
    EXPECT_EQ(classify_client_text(" {\n \"type\" : \"ping\" \n} "), ClientFrame::ping);
}

TEST(ClassifyClientText, RecognisesAPingWithOtherMembers) {
    EXPECT_EQ(classify_client_text(R"({"id":7,"type":"ping","payload":{"x":[1,2]}})"), ClientFrame::ping);
}

TEST(ClassifyClientText, IgnoresOtherTypes) {
    for (auto text : {R"({"type":"pong"})", R"({"type":"PING"})", R"({"type":"ping "})", R"({"type":"notification"})",
                      R"({"type":"subscribe","project_id":"p1"})"})
        EXPECT_EQ(classify_client_text(text), ClientFrame::ignored) << text << " was classified " << name(classify_client_text(text));
}

TEST(ClassifyClientText, IgnoresATypeThatIsNotAString) {
    for (auto text : {R"({"type":1})", R"({"type":null})", R"({"type":["ping"]})", R"({"type":{"ping":1}})"})
        EXPECT_EQ(classify_client_text(text), ClientFrame::ignored) << text;
}

TEST(ClassifyClientText, IgnoresAnObjectWithoutType) {
    EXPECT_EQ(classify_client_text("{}"), ClientFrame::ignored);
    EXPECT_EQ(classify_client_text(R"({"ping":"type"})"), ClientFrame::ignored);
}

TEST(ClassifyClientText, IgnoresJsonThatIsNotAnObject) {
    for (auto text : {R"("ping")", R"(["ping"])", R"([{"type":"ping"}])", "null", "1"})
        EXPECT_EQ(classify_client_text(text), ClientFrame::ignored) << text;
}

TEST(ClassifyClientText, IgnoresInvalidJson) {
    for (auto text : {"ping", "", "{type:ping}", R"({"type":"ping")", R"({"type":"ping"}})", R"({"type":"ping"} x)",
                      "{'type':'ping'}"})
        EXPECT_EQ(classify_client_text(text), ClientFrame::ignored) << '"' << text << '"';
}

TEST(ClassifyClientText, IgnoresInvalidUtf8) {
    EXPECT_EQ(classify_client_text("{\"type\":\"ping\",\"x\":\"\xff\"}"), ClientFrame::ignored);
}

TEST(MakePong, HasTheExactDocumentedShape) {
    EXPECT_EQ(wsgw::make_pong(kNow), R"({"type":"pong","timestamp":"2025-12-07T10:00:00Z"})");
}

TEST(MakePong, StampsWholeSecondsOfTheGivenClock) {
    EXPECT_EQ(wsgw::make_pong(kNow + std::chrono::seconds(61) + std::chrono::milliseconds(999)),
              R"({"type":"pong","timestamp":"2025-12-07T10:01:01Z"})");
}

TEST(MakePong, IsParsableJsonThatIsNotItselfAPing) {
    auto pong = wsgw::make_pong(kNow);
    auto doc = nlohmann::json::parse(pong, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << pong;
    EXPECT_EQ(doc.size(), 2u);
    EXPECT_EQ(classify_client_text(pong), ClientFrame::ignored) << "a pong echoed back must not start a ping loop";
}

// The client table of docs/websocket-messages.md.
TEST(CloseCodes, MatchTheDocumentedClientTable) {
    EXPECT_EQ(wsgw::close_code::protocol_error, 1002) << "a frame that breaks RFC 6455 closes with 1002";
    EXPECT_EQ(wsgw::close_code::unsupported_data, 1003) << "a binary frame closes with 1003";
    EXPECT_EQ(wsgw::close_code::invalid_payload, 1007) << "text that is not UTF-8 closes with 1007";
    EXPECT_EQ(wsgw::close_code::too_big, 1009) << "a frame over max_inbound_frame_bytes closes with 1009";
    EXPECT_EQ(wsgw::close_code::slow_consumer, 4008);
    EXPECT_GE(wsgw::close_code::slow_consumer, 4000) << "application codes live in 4000-4999";
    EXPECT_LE(wsgw::close_code::slow_consumer, 4999);
    EXPECT_EQ(wsgw::close_code::normal, 1000);
    EXPECT_EQ(wsgw::close_code::going_away, 1001);
    EXPECT_EQ(wsgw::close_code::internal_error, 1011);
}

}  // namespace
