// The client frame parser with permessage-deflate agreed (RFC 7692 sections 6 and 7.2.2): where
// RSV1 may stand, compressed messages single and fragmented, the inflated size bound (a bomb fed
// in pieces), corrupt data, and round trips through the gateway's own compressor. Also the
// server's compressed frame.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../common/sample_messages.hpp"
#include "../common/ws_wire.hpp"
#include "../common/zlib_frames.hpp"
#include "wsgw/message_deflate.hpp"
#include "wsgw/ws_frame.hpp"

namespace {

using namespace wsgw::ws_wire;
using wsgw::ws::FrameParser;
using wsgw::ws::Opcode;

constexpr std::uint8_t kRsv1 = 0x40;
constexpr std::uint8_t kCompressedText = kText | kRsv1;  // 0xC1
constexpr std::uint8_t kCompressedBinary = kBinary | kRsv1;
constexpr std::uint8_t kFinalContinuation = kFin;
constexpr std::size_t kLimit = 1 << 20;


// Feeds `wire` in reads of `read_size` bytes (0: all at once) to a parser that agreed to
// permessage-deflate (or not).
Parsed parse(std::string wire, std::size_t limit = kLimit, std::size_t read_size = 0, bool deflate = true) {
    FrameParser parser(limit);
    if (deflate) parser.enable_permessage_deflate();
    RecordingSink sink;
    bool ok = true;
    const std::size_t step = read_size == 0 ? wire.size() : read_size;
    for (std::size_t at = 0; at < wire.size() && ok; at += step)
        ok = parser.feed(wire.data() + at, std::min(step, wire.size() - at), sink);
    return {ok, sink.events, parser.error().code, parser.error().reason, parser.buffered()};
}

std::string hello_compressed() { return bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}); }  // 7.2.3.1

// `compressed` as a message of frames of at most `frame_size` payload bytes, RSV1 on the first.
std::string fragmented(std::uint8_t first_opcode, std::string_view compressed, std::size_t frame_size) {
    std::string wire;
    for (std::size_t at = 0; at < compressed.size() || at == 0; at += frame_size) {
        const bool first = at == 0;
        const bool last = at + frame_size >= compressed.size();
        const std::uint8_t byte0 = static_cast<std::uint8_t>((last ? kFin : 0) | (first ? kRsv1 | first_opcode : 0));
        wire += client_frame(byte0, compressed.substr(at, frame_size));
    }
    return wire;
}

// --- The parser's size ----------------------------------------------------------------------

TEST(FrameParserDeflate, KeepsAnIdleParserAsSmallAsBefore) {
    // The two flags sit in padding; no inflater is held between messages. 48 bytes on x86-64.
    EXPECT_LE(sizeof(FrameParser), 6 * sizeof(void*));
}

// --- Compressed messages --------------------------------------------------------------------

TEST(FrameParserDeflate, InflatesACompressedTextFrame) {
    auto r = parse(client_frame(kCompressedText, hello_compressed()));
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"text:Hello"});
    EXPECT_EQ(r.buffered, 0u);
}

TEST(FrameParserDeflate, InflatesACompressedBinaryFrame) {
    auto r = parse(client_frame(kCompressedBinary, hello_compressed()));
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"binary:Hello"});
}

TEST(FrameParserDeflate, InflatesRfcSection7231sFragmentedHello) {
    // 0x41 0x03 f2 48 cd, then 0x80 0x04 c9 c9 07 00: RSV1 on the first frame only.
    const std::string wire = client_frame(0x41, bytes({0xf2, 0x48, 0xcd})) +
                             client_frame(kFinalContinuation, bytes({0xc9, 0xc9, 0x07, 0x00}));
    auto r = parse(wire);
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"text:Hello"});
}

TEST(FrameParserDeflate, InflatesAMessageWithBfinalSet) {
    auto r = parse(client_frame(kCompressedText, bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00})));
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"text:Hello"});
}

TEST(FrameParserDeflate, InflatesWhatZlibWritesWithASyncFlushAsBrowsersDo) {
    const std::string message = wsgw::sample_messages::long_notification();
    const std::string compressed = wsgw::zlib_frames::sync_flushed(message);
    for (std::size_t frame_size : {compressed.size(), std::size_t{100}, std::size_t{7}, std::size_t{1}}) {
        auto r = parse(fragmented(0x1, compressed, frame_size));
        EXPECT_TRUE(r.ok) << frame_size << ": " << r.reason;
        EXPECT_EQ(r.events, Events{"text:" + message}) << frame_size;
    }
}

TEST(FrameParserDeflate, GivesTheSameResultWhateverWhereTheInputIsSplit) {
    const std::string message = wsgw::sample_messages::long_notification();
    const std::string wire = fragmented(0x1, wsgw::zlib_frames::sync_flushed(message), 64);
    for (std::size_t read_size : {std::size_t{1}, std::size_t{3}, std::size_t{50}, std::size_t{0}}) {
        auto r = parse(wire, kLimit, read_size);
        EXPECT_TRUE(r.ok) << read_size << ": " << r.reason;
        EXPECT_EQ(r.events, Events{"text:" + message}) << read_size;
        EXPECT_EQ(r.buffered, 0u) << read_size;
    }
}

TEST(FrameParserDeflate, DeliversAPingBetweenTheFragmentsOfACompressedMessage) {
    const std::string wire = client_frame(0x41, bytes({0xf2, 0x48, 0xcd})) + client_frame(kPing, "p") +
                             client_frame(kFinalContinuation, bytes({0xc9, 0xc9, 0x07, 0x00}));
    auto r = parse(wire);
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, (Events{"ping:p", "text:Hello"}));
}

TEST(FrameParserDeflate, StillAcceptsUncompressedMessages) {
    const std::string wire = client_frame(kText, "plain") + client_frame(kCompressedText, hello_compressed()) +
                             client_frame(0x01, "frag") + client_frame(kFinalContinuation, "mented") +
                             client_frame(kBinary, "bin");
    auto r = parse(wire);
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, (Events{"text:plain", "text:Hello", "text:fragmented", "binary:bin"}));
}

TEST(FrameParserDeflate, RoundTripsEverySampleMessageThroughTheServersCompressor) {
    for (const auto& [name, message] : wsgw::sample_messages::all(WSGW_FIXTURES_DIR)) {
        auto compressed = wsgw::ws::deflate_message(message);
        ASSERT_TRUE(compressed) << name;
        auto r = parse(fragmented(0x2, *compressed, 1000));
        EXPECT_TRUE(r.ok) << name << ": " << r.reason;
        EXPECT_EQ(r.events, Events{"binary:" + message}) << name;
    }
}

// --- RSV1 where it may not stand ------------------------------------------------------------

TEST(FrameParserDeflate, RejectsRsv1WithoutNegotiation) {
    auto r = parse(client_frame(kCompressedText, hello_compressed()), kLimit, 0, false);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1002);
    EXPECT_EQ(r.reason, "reserved bit set");
}

TEST(FrameParserDeflate, RejectsRsv1OnAControlFrame) {
    for (std::uint8_t control : {kPing, kPong, kClose}) {
        auto r = parse(client_frame(control | kRsv1, ""));
        EXPECT_FALSE(r.ok) << int(control);
        EXPECT_EQ(r.code, 1002) << int(control);
        EXPECT_EQ(r.reason, "RSV1 on a control or continuation frame");
    }
}

TEST(FrameParserDeflate, RejectsRsv1OnAContinuationFrame) {
    for (std::uint8_t first : {std::uint8_t{0x01}, std::uint8_t{0x41}}) {
        const std::string wire = client_frame(first, bytes({0xf2, 0x48, 0xcd})) +
                                 client_frame(kFinalContinuation | kRsv1, bytes({0xc9, 0xc9, 0x07, 0x00}));
        auto r = parse(wire);
        EXPECT_FALSE(r.ok) << int(first);
        EXPECT_EQ(r.code, 1002) << int(first);
        EXPECT_EQ(r.reason, "RSV1 on a control or continuation frame");
        EXPECT_TRUE(r.events.empty()) << int(first);
    }
}

TEST(FrameParserDeflate, RejectsRsv2AndRsv3EvenWithDeflateAgreed) {
    for (std::uint8_t rsv : {std::uint8_t{0x20}, std::uint8_t{0x10}, std::uint8_t{0x60}, std::uint8_t{0x70}}) {
        auto r = parse(client_frame(kText | rsv, "x"));
        EXPECT_FALSE(r.ok) << int(rsv);
        EXPECT_EQ(r.code, 1002) << int(rsv);
        EXPECT_EQ(r.reason, "reserved bit set");
    }
}

// --- Bounds and bad data --------------------------------------------------------------------

TEST(FrameParserDeflate, AcceptsAMessageThatInflatesToExactlyTheLimit) {
    const std::string message(3000, 'z');
    auto r = parse(client_frame(kCompressedText, wsgw::zlib_frames::sync_flushed(message)), 3000);
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"text:" + message});
}

TEST(FrameParserDeflate, RejectsAMessageThatInflatesPastTheLimitWith1009) {
    auto r = parse(client_frame(kCompressedText, wsgw::zlib_frames::sync_flushed(std::string(3001, 'z'))), 3000);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1009);
    EXPECT_EQ(r.reason, "message too big once inflated");
    EXPECT_TRUE(r.events.empty());
}

TEST(FrameParserDeflate, StopsAnInflateBombFedInPiecesWithFlatMemory) {
    // 64 MiB of zeros: DEFLATE cannot beat about 1:1030, so some 64 KB on the wire, under the
    // 256 KiB limit the compressed message is held to; inflated, it would be 256 times that.
    constexpr std::size_t kBombLimit = 256 * 1024;
    const std::string bomb = wsgw::zlib_frames::zeros_bomb(std::size_t{64} << 20);
    ASSERT_LT(bomb.size(), kBombLimit);
    const std::string wire = fragmented(0x2, bomb, 4096);

    FrameParser parser(kBombLimit);
    parser.enable_permessage_deflate();
    RecordingSink sink;
    bool ok = true;
    for (std::size_t at = 0; at < wire.size() && ok; at += 1000) {
        ok = parser.feed(const_cast<char*>(wire.data()) + at, std::min<std::size_t>(1000, wire.size() - at), sink);
        ASSERT_LE(parser.buffered(), FrameParser::max_buffered(kBombLimit)) << "after byte " << at;
    }
    EXPECT_FALSE(ok);
    EXPECT_EQ(parser.error().code, 1009) << parser.error().reason;
    EXPECT_TRUE(sink.events.empty());
    EXPECT_EQ(parser.buffered(), 0u);
}

TEST(FrameParserDeflate, RejectsCorruptCompressedDataWith1002) {
    auto r = parse(client_frame(kCompressedText, bytes({0x07, 0x00})));  // BTYPE 11
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1002);
    EXPECT_EQ(r.reason, "invalid compressed data");
}

TEST(FrameParserDeflate, RejectsABackReferenceIntoThePreviousMessageWith1002) {
    // RFC 7692 section 7.2.3.2's second "Hello", sent as if the client kept its window.
    const std::string wire = client_frame(kCompressedText, hello_compressed()) +
                             client_frame(kCompressedText, bytes({0xf2, 0x00, 0x11, 0x00, 0x00}));
    auto r = parse(wire);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1002);
    EXPECT_EQ(r.events, Events{"text:Hello"});
}

TEST(FrameParserDeflate, ChecksUtf8OnTheInflatedText) {
    auto r = parse(client_frame(kCompressedText, wsgw::zlib_frames::sync_flushed("caf\xc3")));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1007);
    auto binary = parse(client_frame(kCompressedBinary, wsgw::zlib_frames::sync_flushed("caf\xc3")));
    EXPECT_TRUE(binary.ok) << binary.reason;
}

TEST(FrameParserDeflate, CountsTheCompressedFramesAgainstTheLimitToo) {
    const std::string compressed = wsgw::sample_messages::random_bytes(3000, 3);  // any bytes: refused first
    auto r = parse(client_frame(kCompressedBinary, compressed), 2999);
    EXPECT_EQ(r.code, 1009);
    EXPECT_EQ(r.reason, "message too big");
}

// --- Server frames --------------------------------------------------------------------------

TEST(MakeCompressedFrame, IsTheFrameWithRsv1Set) {
    const std::string payload = *wsgw::ws::deflate_message("Hello");
    const std::string frame = wsgw::ws::make_compressed_frame(Opcode::text, payload);
    EXPECT_EQ(static_cast<unsigned char>(frame[0]), 0xC1);
    EXPECT_EQ(frame.substr(1), wsgw::ws::make_frame(Opcode::text, payload).substr(1));
    const std::string big(300, 'x');
    EXPECT_EQ(static_cast<unsigned char>(wsgw::ws::make_compressed_frame(Opcode::binary, big)[0]), 0xC2);
}

}  // namespace
