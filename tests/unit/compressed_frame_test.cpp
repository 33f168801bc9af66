// The shared compressed form of a server frame: made at most once, whichever thread asks first,
// only for text messages over the minimum that compression makes smaller.
#include "wsgw/compressed_frame.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "wsgw/message_inflate.hpp"
#include "wsgw/ws_frame.hpp"

namespace wsgw {
namespace {

std::string big_json(std::size_t bytes) {
    std::string json = R"({"type":"notification","id":"a1","payload":{"items":[)";
    while (json.size() < bytes) json += R"({"title":"Page crawled","status":"DONE"},)";
    json += R"({}]},"timestamp":"2026-12-06T10:00:00Z"})";
    return json;
}

TEST(CompressedFrame, ATextFrameOverTheMinimumIsCompressedWithRsv1AndInflatesBack) {
    const std::string json = big_json(2000);
    const std::string frame = ws::make_frame(ws::Opcode::text, json);
    CompressedFrame c;
    const std::string& out = c.for_deflate(frame, 1024);
    ASSERT_NE(&out, &frame);
    EXPECT_EQ(static_cast<unsigned char>(out[0]), 0xC1) << "FIN, RSV1, text";
    EXPECT_LT(out.size() * 3, frame.size());
    std::string inflated;
    ASSERT_EQ(ws::inflate_message(ws::frame_payload(out), 1 << 20, inflated), ws::InflateStatus::ok);
    EXPECT_EQ(inflated, json);
}

TEST(CompressedFrame, SmallMessagesControlFramesAndIncompressibleOnesStayPlain) {
    const std::string small = ws::make_frame(ws::Opcode::text, R"({"type":"pong"})");
    CompressedFrame a;
    EXPECT_EQ(&a.for_deflate(small, 1024), &small) << "under the minimum";
    const std::string ping = ws::make_frame(ws::Opcode::ping, std::string(200, 'p'));
    CompressedFrame b;
    EXPECT_EQ(&b.for_deflate(ping, 0), &ping) << "a control frame is never compressed";
    std::string noise;
    std::uint32_t x = 12345;
    for (int i = 0; i < 300; ++i) noise += static_cast<char>((x = x * 1103515245 + 12345) >> 16);  // every byte value
    const std::string random_text = ws::make_frame(ws::Opcode::text, noise);
    CompressedFrame c;
    EXPECT_EQ(&c.for_deflate(random_text, 0), &random_text) << "what compression does not shrink goes plain";
}

TEST(CompressedFrame, IsMadeOnceWhicheverThreadAsksFirst) {
    const std::string frame = ws::make_frame(ws::Opcode::text, big_json(4000));
    CompressedFrame c;
    std::vector<const std::string*> seen(8);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i)
        threads.emplace_back([&, i] { seen[i] = &c.for_deflate(frame, 1024); });
    for (auto& t : threads) t.join();
    EXPECT_EQ(std::set<const std::string*>(seen.begin(), seen.end()).size(), 1u) << "one shared compressed frame";
    EXPECT_NE(seen[0], &frame);
}

TEST(CompressedFrame, ACopyStartsWithoutACompressedForm) {
    const std::string frame = ws::make_frame(ws::Opcode::text, big_json(2000));
    CompressedFrame original;
    const std::string& first = original.for_deflate(frame, 1024);
    CompressedFrame copy(original);
    const std::string& again = copy.for_deflate(frame, 1024);
    EXPECT_NE(&first, &again);
    EXPECT_EQ(first, again);
}

}  // namespace
}  // namespace wsgw
