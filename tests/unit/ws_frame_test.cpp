// The WebSocket wire format: handshake accept key, server frame encoding, and the client frame parser.
#include "wsgw/ws_frame.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "../common/ws_wire.hpp"
#include "wsgw/utf8.hpp"

namespace {

using namespace wsgw::ws_wire;
using wsgw::ws::FrameParser;
using wsgw::ws::Opcode;

// Just the header of a masked frame declaring `declared` payload bytes in 64-bit form.
std::string header_declaring(std::uint8_t byte0, std::uint64_t declared) {
    std::string f(1, static_cast<char>(byte0));
    f += static_cast<char>(0x80 | 127);
    for (int i = 0; i < 8; ++i) f += static_cast<char>((declared >> (56 - 8 * i)) & 0xFF);
    f.append(reinterpret_cast<const char*>(kKey.data()), kKey.size());
    return f;
}

std::string close_payload(std::uint16_t code, std::string_view reason = "") {
    std::string p{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    return p.append(reason);
}

constexpr std::size_t kLimit = 1 << 20;


Parsed parse_whole(std::string wire, std::size_t limit = kLimit) {
    FrameParser parser(limit);
    RecordingSink sink;
    bool ok = parser.feed(wire.data(), wire.size(), sink);
    return {ok, sink.events, parser.error().code, parser.error().reason};
}

Parsed parse_bytewise(const std::string& wire, std::size_t limit = kLimit) {
    FrameParser parser(limit);
    RecordingSink sink;
    bool ok = true;
    for (char c : wire) ok = parser.feed(&c, 1, sink);
    return {ok, sink.events, parser.error().code, parser.error().reason};
}

// --- Handshake ----------------------------------------------------------------------------

TEST(AcceptKey, MatchesTheRfcExample) {
    EXPECT_EQ(wsgw::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(AcceptKey, IsTheBase64OfATwentyByteDigest) {
    auto key = wsgw::ws::accept_key("AAAAAAAAAAAAAAAAAAAAAA==");
    EXPECT_EQ(key.size(), 28u) << key;
    EXPECT_EQ(key.back(), '=') << key;
}

TEST(HandshakeKey, AcceptsTheBase64OfSixteenBytes) {
    EXPECT_TRUE(wsgw::ws::is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
    EXPECT_TRUE(wsgw::ws::is_valid_client_key("+/09azAZ+/09azAZ+/09aw=="));
}

TEST(HandshakeKey, RejectsOtherLengths) {
    for (auto key : {"", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===", "dGhlIHNhbXBsZSBub25jZXNzc3M=",
                     "dGhlIHNhbXBsZSBub25jZXNzc3Nzcw=="})
        EXPECT_FALSE(wsgw::ws::is_valid_client_key(key)) << '"' << key << '"';
}

TEST(HandshakeKey, RejectsCharactersOutsideTheBase64Alphabet) {
    for (auto key : {"dGhlIHNhbXBsZSBub25jZ-==", "dGhlIHNhbXBsZSBub25jZ_==", "dGhlIHNhbXBsZSBub25jZ ==",
                     "dGhlIHNhbXBsZSBub25j\xc3\xa9=="})
        EXPECT_FALSE(wsgw::ws::is_valid_client_key(key)) << '"' << key << '"';
}

TEST(HandshakeKey, RejectsAKeyWithoutTwoPaddingCharacters) {
    for (auto key : {"dGhlIHNhbXBsZSBub25jZQAA", "dGhlIHNhbXBsZSBub25jZQA=", "dGhlIHNhbXBsZSBub25j=Q=="})
        EXPECT_FALSE(wsgw::ws::is_valid_client_key(key)) << '"' << key << '"';
}

// --- Server frames ------------------------------------------------------------------------

std::string header_of(Opcode op, std::uint64_t size) {
    unsigned char out[wsgw::ws::kMaxHeaderBytes];
    std::size_t n = wsgw::ws::encode_header(op, size, out);
    return std::string(reinterpret_cast<const char*>(out), n);
}

TEST(FrameHeader, Uses7BitLengthUpTo125) {
    EXPECT_EQ(header_of(Opcode::text, 0), bytes({0x81, 0}));
    EXPECT_EQ(header_of(Opcode::text, 125), bytes({0x81, 125}));
}

TEST(FrameHeader, Uses16BitLengthFrom126To65535) {
    EXPECT_EQ(header_of(Opcode::binary, 126), bytes({0x82, 126, 0x00, 0x7e}));
    EXPECT_EQ(header_of(Opcode::binary, 65535), bytes({0x82, 126, 0xff, 0xff}));
}

TEST(FrameHeader, Uses64BitLengthFrom65536) {
    EXPECT_EQ(header_of(Opcode::text, 65536), bytes({0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}));
    EXPECT_EQ(header_of(Opcode::text, 0x0102030405060708ull), bytes({0x81, 127, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(FrameHeader, SetsFinAndTheOpcodeButNeverTheMaskBit) {
    EXPECT_EQ(header_of(Opcode::close, 2), bytes({0x88, 2}));
    EXPECT_EQ(header_of(Opcode::ping, 0), bytes({0x89, 0}));
    EXPECT_EQ(header_of(Opcode::pong, 5), bytes({0x8a, 5}));
}

TEST(MakeFrame, IsTheHeaderFollowedByThePayload) {
    EXPECT_EQ(wsgw::ws::make_frame(Opcode::text, "Hello"), bytes({0x81, 5}) + "Hello");
    std::string big(300, 'x');
    EXPECT_EQ(wsgw::ws::make_frame(Opcode::binary, big), bytes({0x82, 126, 0x01, 0x2c}) + big);
}

TEST(MakeCloseFrame, CarriesTheCodeBigEndianThenTheReason) {
    EXPECT_EQ(wsgw::ws::make_close_frame(4008, "slow"), bytes({0x88, 6, 0x0f, 0xa8}) + "slow");
    EXPECT_EQ(wsgw::ws::make_close_frame(1000, ""), bytes({0x88, 2, 0x03, 0xe8}));
}

TEST(MakeCloseFrame, CutsALongReasonTo123Bytes) {
    auto frame = wsgw::ws::make_close_frame(1001, std::string(200, 'r'));
    ASSERT_EQ(frame.size(), 2u + 125u);
    EXPECT_EQ(frame.substr(0, 4), bytes({0x88, 125, 0x03, 0xe9}));
    EXPECT_EQ(frame.substr(4), std::string(123, 'r'));
}

TEST(MakeCloseFrame, KeepsAReasonOfExactly123Bytes) {
    std::string reason = std::string(121, 'a') + "\xc3\xa9";  // ends with a whole 2-byte character
    auto frame = wsgw::ws::make_close_frame(1000, reason);
    EXPECT_EQ(frame.substr(4), reason);
}

TEST(MakeCloseFrame, DoesNotSplitAMultiByteCharacterAtTheCut) {
    // A 2-, 3- and 4-byte character each straddling byte 123.
    for (std::string ch : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"}) {
        std::string prefix(122, 'a');
        auto frame = wsgw::ws::make_close_frame(1000, prefix + ch + "tail");
        std::string reason = frame.substr(4);
        EXPECT_EQ(reason, prefix) << "a " << ch.size() << "-byte character at the cut";
        EXPECT_EQ(static_cast<unsigned char>(frame[1]), 2 + prefix.size());
        EXPECT_TRUE(wsgw::is_valid_utf8(reason));
    }
}

// --- Client frames ------------------------------------------------------------------------

// RFC 6455 section 5.7: a single-frame masked text message containing "Hello".
const std::string kRfcHello = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});

TEST(FrameParser, TestMaskerMatchesTheRfcExample) {
    EXPECT_EQ(client_frame(kText, "Hello"), kRfcHello);
}

TEST(FrameParser, DeliversTheRfcMaskedHello) {
    auto wire = kRfcHello;
    auto r = parse_whole(wire);
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"text:Hello"});
}

TEST(FrameParser, DeliversTheRfcMaskedHelloFedOneByteAtATime) {
    auto wire = kRfcHello;
    FrameParser parser(kLimit);
    RecordingSink sink;
    for (std::size_t i = 0; i < wire.size(); ++i) {
        ASSERT_TRUE(parser.feed(&wire[i], 1, sink)) << "byte " << i << ": " << parser.error().reason;
        if (i + 1 < wire.size()) {
            EXPECT_TRUE(sink.events.empty()) << "delivered early, at byte " << i;
        }
    }
    EXPECT_EQ(sink.events, Events{"text:Hello"});
    EXPECT_EQ(parser.buffered(), 0u);
}

TEST(FrameParser, UnmasksInPlaceAndPassesAViewIntoTheInput) {
    auto wire = client_frame(kText, "Hello");
    FrameParser parser(kLimit);
    RecordingSink sink;
    ASSERT_TRUE(parser.feed(wire.data(), wire.size(), sink));
    ASSERT_EQ(sink.message_data.size(), 1u);
    EXPECT_EQ(sink.message_data[0], wire.data() + 6) << "a whole frame in the input must not be copied";
    EXPECT_EQ(wire.substr(6), "Hello") << "the payload is unmasked where it lies";
}

TEST(FrameParser, DeliversSeveralFramesFromOneBuffer) {
    auto wire = client_frame(kText, "one") + client_frame(kBinary, std::string("\x00\xff", 2)) +
                client_frame(kPing, "p") + client_frame(kPong, "") + client_frame(kText, "two");
    auto r = parse_whole(wire);
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, (Events{"text:one", std::string("binary:\x00\xff", 9), "ping:p", "pong:", "text:two"}));
}

TEST(FrameParser, GivesTheSameResultWhateverWhereTheInputIsSplit) {
    const auto wire = client_frame(kText, "first") + client_frame(kBinary, std::string(300, 'b')) +
                      client_frame(kPing, "ping") + client_frame(kText, "last");
    const auto expected = parse_whole(wire).events;
    ASSERT_EQ(expected.size(), 4u);
    for (std::size_t split = 0; split <= wire.size(); ++split) {
        std::string copy = wire;
        FrameParser parser(kLimit);
        RecordingSink sink;
        ASSERT_TRUE(parser.feed(copy.data(), split, sink)) << "split at " << split;
        ASSERT_TRUE(parser.feed(copy.data() + split, copy.size() - split, sink)) << "split at " << split;
        EXPECT_EQ(sink.events, expected) << "split at " << split;
        EXPECT_EQ(parser.buffered(), 0u) << "split at " << split;
    }
}

TEST(FrameParser, HoldsNothingOnceASplitFrameCompletes) {
    auto wire = client_frame(kText, std::string(1000, 'x'));
    FrameParser parser(kLimit);
    RecordingSink sink;
    ASSERT_TRUE(parser.feed(wire.data(), 500, sink));
    EXPECT_EQ(parser.buffered(), 500u) << "the partial frame is held";
    ASSERT_TRUE(parser.feed(wire.data() + 500, wire.size() - 500, sink));
    EXPECT_EQ(sink.events.size(), 1u);
    EXPECT_EQ(parser.buffered(), 0u) << "an idle connection must hold no bytes";
}

// Found by fuzz_ws_frame (corpus: ping_split_after_full_fragment): a control frame may come
// between the fragments of a message that already holds the whole limit, so a partial ping is
// held on top of it. The bound callers size memory by must include it.
TEST(FrameParser, HoldsAPartialPingOnTopOfAMessageAtTheLimit) {
    constexpr std::uint8_t kFirstFragment = 0x1;  // text, FIN clear
    constexpr std::uint8_t kLastFragment = kFin;  // continuation, FIN set
    auto fragment = client_frame(kFirstFragment, std::string(kLimit, 'a'));
    auto ping = client_frame(kPing, std::string(125, 'p'));
    auto wire = fragment + ping + client_frame(kLastFragment, "");
    FrameParser parser(kLimit);
    RecordingSink sink;
    const std::size_t cut = fragment.size() + ping.size() - 1;  // all but the ping's last byte
    ASSERT_TRUE(parser.feed(wire.data(), cut, sink));
    EXPECT_EQ(parser.buffered(), kLimit + ping.size() - 1);
    EXPECT_LE(parser.buffered(), FrameParser::max_buffered(kLimit));
    ASSERT_TRUE(parser.feed(wire.data() + cut, wire.size() - cut, sink));
    ASSERT_EQ(sink.events.size(), 2u);
    EXPECT_EQ(sink.events[0], "ping:" + std::string(125, 'p'));
    EXPECT_EQ(sink.events[1], "text:" + std::string(kLimit, 'a'));
    EXPECT_EQ(parser.buffered(), 0u);
}

TEST(FrameParser, HoldsNothingWhenFramesEndWithTheInput) {
    auto wire = client_frame(kText, "a") + client_frame(kText, "b");
    FrameParser parser(kLimit);
    RecordingSink sink;
    ASSERT_TRUE(parser.feed(wire.data(), wire.size(), sink));
    EXPECT_EQ(parser.buffered(), 0u);
}

TEST(FrameParser, Decodes16And64BitLengths) {
    std::string medium(200, 'm');
    std::string large(70000, 'L');
    auto r = parse_whole(client_frame(kText, medium) + client_frame(kBinary, large));
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, (Events{"text:" + medium, "binary:" + large}));
}

TEST(FrameParser, AcceptsNonMinimalLengthEncodings) {
    auto r = parse_whole(client_frame(kText, "Hello", LengthForm::sixteen_bit) +
                         client_frame(kText, "World", LengthForm::sixty_four_bit));
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, (Events{"text:Hello", "text:World"}));
}

TEST(FrameParser, DeliversAnEmptyMessage) {
    auto r = parse_whole(client_frame(kText, ""));
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"text:"});
}

TEST(FrameParser, AcceptsAControlFrameOf125Bytes) {
    auto r = parse_whole(client_frame(kPing, std::string(125, 'p')));
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"ping:" + std::string(125, 'p')});
}

TEST(FrameParser, DeliversAnEmptyFeedAsNothing) {
    FrameParser parser(kLimit);
    RecordingSink sink;
    EXPECT_TRUE(parser.feed(nullptr, 0, sink));
    EXPECT_TRUE(sink.events.empty());
}

// --- Fragmentation ------------------------------------------------------------------------

std::string fragmented_hello_with_ping() {
    return client_frame(0x01, "Hel") + client_frame(kPing, "p") + client_frame(0x00, "l") + client_frame(kFin, "o");
}

TEST(FrameFragments, ReassemblesAMessageAndDeliversAPingInTheMiddleFirst) {
    auto r = parse_whole(fragmented_hello_with_ping());
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, (Events{"ping:p", "text:Hello"}));
}

TEST(FrameFragments, ReassemblesAMessageFedOneByteAtATime) {
    auto r = parse_bytewise(fragmented_hello_with_ping());
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, (Events{"ping:p", "text:Hello"}));
}

TEST(FrameFragments, ReassemblesABinaryMessage) {
    auto r = parse_whole(client_frame(0x02, "ab") + client_frame(kFin, "cd"));
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"binary:abcd"});
}

TEST(FrameFragments, ChecksUtf8OnTheWholeMessageNotEachFragment) {
    // "é" (C3 A9) split between two fragments.
    auto r = parse_whole(client_frame(0x01, "caf\xc3") + client_frame(kFin, "\xa9"));
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"text:caf\xc3\xa9"});
}

TEST(FrameFragments, HoldsTheOpenMessageAndNothingOnceItCompletes) {
    FrameParser parser(kLimit);
    RecordingSink sink;
    auto first = client_frame(0x01, "Hel");
    auto last = client_frame(kFin, "lo");
    ASSERT_TRUE(parser.feed(first.data(), first.size(), sink));
    EXPECT_EQ(parser.buffered(), 3u);
    ASSERT_TRUE(parser.feed(last.data(), last.size(), sink));
    EXPECT_EQ(sink.events, Events{"text:Hello"});
    EXPECT_EQ(parser.buffered(), 0u);
}

TEST(FrameFragments, RejectsAContinuationWithoutAMessage) {
    auto r = parse_whole(client_frame(kFin, "orphan"));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1002) << r.reason;
    EXPECT_TRUE(r.events.empty());
}

TEST(FrameFragments, RejectsANewMessageInsideAFragmentedOne) {
    for (std::uint8_t byte0 : {kText, kBinary, std::uint8_t{0x01}}) {
        auto r = parse_whole(client_frame(0x01, "Hel") + client_frame(byte0, "x"));
        EXPECT_FALSE(r.ok);
        EXPECT_EQ(r.code, 1002) << r.reason;
        EXPECT_TRUE(r.events.empty());
    }
}

// --- Protocol errors ----------------------------------------------------------------------

TEST(FrameErrors, RejectsAnUnmaskedFrame) {
    auto r = parse_whole(bytes({0x81, 0x05}) + "Hello");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1002);
    EXPECT_STREQ(r.reason.c_str(), "unmasked client frame");
    EXPECT_TRUE(r.events.empty());
}

TEST(FrameErrors, RejectsAnUnmaskedFrameFromItsFirstTwoBytes) {
    FrameParser parser(kLimit);
    RecordingSink sink;
    auto wire = bytes({0x81, 0x05});
    EXPECT_FALSE(parser.feed(wire.data(), wire.size(), sink));
    EXPECT_EQ(parser.error().code, 1002);
    EXPECT_EQ(parser.buffered(), 0u);
}

TEST(FrameErrors, RejectsEachReservedBit) {
    for (std::uint8_t rsv : {0x40, 0x20, 0x10}) {
        auto r = parse_whole(client_frame(kText | rsv, "x"));
        EXPECT_FALSE(r.ok) << "RSV bit " << int(rsv);
        EXPECT_EQ(r.code, 1002) << "RSV bit " << int(rsv);
    }
}

TEST(FrameErrors, RejectsReservedOpcodes) {
    for (std::uint8_t op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
        auto r = parse_whole(client_frame(kFin | op, "x"));
        EXPECT_FALSE(r.ok) << "opcode " << int(op);
        EXPECT_EQ(r.code, 1002) << "opcode " << int(op);
    }
}

TEST(FrameErrors, RejectsAFragmentedControlFrame) {
    for (std::uint8_t op : {0x8, 0x9, 0xA}) {
        auto r = parse_whole(client_frame(op, ""));
        EXPECT_FALSE(r.ok) << "opcode " << int(op);
        EXPECT_EQ(r.code, 1002) << "opcode " << int(op);
    }
}

TEST(FrameErrors, RejectsAControlFrameOver125Bytes) {
    for (std::uint8_t byte0 : {kPing, kPong, kClose}) {
        auto r = parse_whole(client_frame(byte0, close_payload(1000, std::string(124, 'x'))));
        EXPECT_FALSE(r.ok) << "byte0 " << int(byte0);
        EXPECT_EQ(r.code, 1002) << "byte0 " << int(byte0);
    }
    // Also when the 126 bytes are declared in the 16-bit form.
    auto r = parse_whole(client_frame(kPing, "x", LengthForm::sixteen_bit));
    EXPECT_EQ(r.code, 1002) << "a control frame may use only the 7-bit length";
}

TEST(FrameErrors, RejectsA64BitLengthWithTheTopBitSet) {
    auto r = parse_whole(header_declaring(kBinary, 0x8000000000000000ull));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1002) << r.reason;
}

TEST(FrameErrors, RejectsInvalidUtf8Text) {
    for (std::string bad : {"\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf"}) {
        auto r = parse_whole(client_frame(kText, "ok" + bad));
        EXPECT_FALSE(r.ok);
        EXPECT_EQ(r.code, 1007) << r.reason;
        EXPECT_TRUE(r.events.empty());
    }
}

TEST(FrameErrors, RejectsInvalidUtf8InAFragmentedText) {
    auto r = parse_whole(client_frame(0x01, "ok") + client_frame(kFin, "\xff"));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1007) << r.reason;
}

TEST(FrameErrors, AcceptsAnyBytesInBinary) {
    auto r = parse_whole(client_frame(kBinary, "\xff\xfe"));
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"binary:\xff\xfe"});
}

TEST(FrameErrors, DeliversFramesBeforeTheErrorAndNothingAfterIt) {
    std::string wire = client_frame(kText, "before") + bytes({0x81, 0x01}) + "x" + client_frame(kText, "after");
    FrameParser parser(kLimit);
    RecordingSink sink;
    EXPECT_FALSE(parser.feed(wire.data(), wire.size(), sink));
    EXPECT_EQ(sink.events, Events{"text:before"});
    EXPECT_EQ(parser.buffered(), 0u);

    auto more = client_frame(kText, "later");
    EXPECT_FALSE(parser.feed(more.data(), more.size(), sink)) << "a failed parser stays failed";
    EXPECT_EQ(sink.events, Events{"text:before"});
    EXPECT_EQ(parser.error().code, 1002) << "the first error is kept";
    EXPECT_STREQ(parser.error().reason, "unmasked client frame");
}

TEST(FrameErrors, RejectsFromTheFirstByteAndDropsTheOpenMessage) {
    FrameParser parser(kLimit);
    RecordingSink sink;
    auto open = client_frame(0x01, "held");
    auto bad = client_frame(kText, "x");
    ASSERT_TRUE(parser.feed(open.data(), open.size(), sink));
    // Byte 0 alone proves it: a new text frame while a message is open.
    EXPECT_FALSE(parser.feed(bad.data(), 1, sink));
    EXPECT_EQ(parser.buffered(), 0u);
    EXPECT_EQ(parser.error().code, 1002);
}

// --- Size limit ---------------------------------------------------------------------------

TEST(FrameLimits, AcceptsASingleFrameExactlyAtTheLimit) {
    auto r = parse_whole(client_frame(kBinary, std::string(200, 'x')), 200);
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events.size(), 1u);
}

TEST(FrameLimits, RejectsASingleFrameOneByteOverTheLimitFromItsHeader) {
    auto wire = client_frame(kBinary, std::string(201, 'x'));
    FrameParser parser(200);
    RecordingSink sink;
    EXPECT_FALSE(parser.feed(wire.data(), 4, sink)) << "the 16-bit length alone decides";
    EXPECT_EQ(parser.error().code, 1009);
    EXPECT_STREQ(parser.error().reason, "message too big");
    EXPECT_EQ(parser.buffered(), 0u);
    EXPECT_TRUE(sink.events.empty());
}

TEST(FrameLimits, RejectsAHugeDeclaredLengthWithoutWaitingForThePayload) {
    FrameParser parser(1 << 20);
    RecordingSink sink;
    auto wire = header_declaring(kText, 1ull << 62);
    EXPECT_FALSE(parser.feed(wire.data(), wire.size(), sink));
    EXPECT_EQ(parser.error().code, 1009);
    EXPECT_EQ(parser.buffered(), 0u);
}

TEST(FrameLimits, AcceptsAFragmentedMessageExactlyAtTheLimit) {
    auto r = parse_whole(client_frame(0x01, std::string(100, 'a')) + client_frame(0x00, std::string(60, 'b')) +
                             client_frame(kFin, std::string(40, 'c')),
                         200);
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"text:" + std::string(100, 'a') + std::string(60, 'b') + std::string(40, 'c')});
}

TEST(FrameLimits, RejectsAFragmentedMessageOneByteOverTheLimitFromTheLastHeader) {
    FrameParser parser(200);
    RecordingSink sink;
    auto first = client_frame(0x01, std::string(100, 'a'));
    auto second = client_frame(0x00, std::string(60, 'b'));
    auto last = client_frame(kFin, std::string(41, 'c'));
    ASSERT_TRUE(parser.feed(first.data(), first.size(), sink));
    ASSERT_TRUE(parser.feed(second.data(), second.size(), sink));
    EXPECT_FALSE(parser.feed(last.data(), 2, sink)) << "the running total is judged from the header";
    EXPECT_EQ(parser.error().code, 1009);
    EXPECT_EQ(parser.buffered(), 0u);
    EXPECT_TRUE(sink.events.empty());
}

TEST(FrameLimits, DoesNotCountControlFramesTowardsTheMessageLimit) {
    auto r = parse_whole(client_frame(kPing, std::string(100, 'p')), 10);
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events.size(), 1u);
}

// --- Close --------------------------------------------------------------------------------

TEST(CloseFrame, EmptyPayloadReportsNoStatus) {
    auto r = parse_whole(client_frame(kClose, ""));
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"close:1005:"});
}

TEST(CloseFrame, ReportsTheCodeAndReason) {
    auto r = parse_whole(client_frame(kClose, close_payload(1000, "bye \xc3\xa9")));
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"close:1000:bye \xc3\xa9"});
}

TEST(CloseFrame, RejectsAOneBytePayload) {
    auto r = parse_whole(client_frame(kClose, "\x03"));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1002) << r.reason;
    EXPECT_TRUE(r.events.empty());
}

TEST(CloseFrame, AcceptsCodesAPeerMaySend) {
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999}) {
        auto r = parse_whole(client_frame(kClose, close_payload(static_cast<std::uint16_t>(code))));
        EXPECT_TRUE(r.ok) << code << ": " << r.reason;
        EXPECT_EQ(r.events, Events{"close:" + std::to_string(code) + ":"});
    }
}

TEST(CloseFrame, RejectsCodesAPeerMayNotSend) {
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
        auto r = parse_whole(client_frame(kClose, close_payload(static_cast<std::uint16_t>(code))));
        EXPECT_FALSE(r.ok) << code;
        EXPECT_EQ(r.code, 1002) << code;
        EXPECT_TRUE(r.events.empty()) << code;
    }
}

TEST(CloseFrame, RejectsAReasonThatIsNotUtf8) {
    auto r = parse_whole(client_frame(kClose, close_payload(1000, "bad \xff")));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, 1007) << r.reason;
    EXPECT_TRUE(r.events.empty());
}

TEST(CloseFrame, ConsumesNothingAfterTheClose) {
    auto wire = client_frame(kClose, close_payload(1001)) + client_frame(kText, "ignored");
    FrameParser parser(kLimit);
    RecordingSink sink;
    EXPECT_TRUE(parser.feed(wire.data(), wire.size(), sink));
    EXPECT_TRUE(parser.closed());
    EXPECT_EQ(sink.events, Events{"close:1001:"});

    std::string garbage = "\xff\xff\xff";
    EXPECT_TRUE(parser.feed(garbage.data(), garbage.size(), sink)) << "input after a close is ignored, not an error";
    EXPECT_EQ(sink.events, Events{"close:1001:"});
    EXPECT_EQ(parser.buffered(), 0u);
    EXPECT_EQ(parser.error().code, 0);
}

TEST(CloseFrame, DropsAMessageLeftOpenByTheClose) {
    FrameParser parser(kLimit);
    RecordingSink sink;
    auto wire = client_frame(0x01, "half") + client_frame(kClose, close_payload(1000));
    EXPECT_TRUE(parser.feed(wire.data(), wire.size(), sink));
    EXPECT_EQ(sink.events, Events{"close:1000:"});
    EXPECT_EQ(parser.buffered(), 0u);
}

TEST(CloseFrame, ParsesACloseSplitInsideItsMaskKey) {
    auto wire = client_frame(kClose, close_payload(1000, "done"));
    auto r = parse_bytewise(wire);
    EXPECT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.events, Events{"close:1000:done"});
}

}  // namespace
