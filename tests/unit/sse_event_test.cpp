// Rendering a queued WebSocket frame as a Server-Sent Event, without copying it.
#include "wsgw/sse_event.hpp"

#include <gtest/gtest.h>

#include <string>

#include "wsgw/ws_frame.hpp"

namespace {

std::string joined(const wsgw::sse::EventPieces& e) {
    std::string out;
    for (std::size_t i = 0; i < e.count; ++i) out += e.parts[i];
    return out;
}

std::string framed(const std::string& json) { return wsgw::ws::make_frame(wsgw::ws::Opcode::text, json); }

TEST(SseEvent, CarriesIdTypeAndTheFramesJson) {
    const std::string json = R"({"type":"notification","id":"Ab-9","payload":{},"timestamp":"2025-12-07T10:00:00Z"})";
    auto frame = framed(json);
    auto e = wsgw::sse::render_event(frame);
    EXPECT_EQ(joined(e), "id: Ab-9\nevent: notification\ndata: " + json + "\n\n");
    EXPECT_EQ(e.parts[e.count - 2].data(), frame.data() + 2) << "data points into the shared frame";
}

TEST(SseEvent, OmitsTheIdLineForFramesWithoutOne) {
    const std::string json = R"({"type":"resync","payload":{"reason":"unknown_last_id"},"timestamp":"t"})";
    EXPECT_EQ(joined(wsgw::sse::render_event(framed(json))), "event: resync\ndata: " + json + "\n\n");
}

TEST(SseEvent, ReadsFramesWithSixteenAndSixtyFourBitLengths) {
    for (std::size_t size : {300u, 70'000u}) {
        const std::string json = R"({"type":"update","id":"x","payload":{"pad":")" + std::string(size, 'p') + R"("}})";
        EXPECT_EQ(wsgw::ws::frame_payload(framed(json)), json) << size;
        EXPECT_EQ(joined(wsgw::sse::render_event(framed(json))), "id: x\nevent: update\ndata: " + json + "\n\n");
    }
}

TEST(SseEvent, SendsDataEvenWhenTheJsonHasNoLeadingType) {
    EXPECT_EQ(joined(wsgw::sse::render_event(framed(R"({"a":1})"))), "data: {\"a\":1}\n\n");
    EXPECT_EQ(wsgw::ws::frame_payload("x"), "");
}

}  // namespace
