// Inflating one client message for permessage-deflate: RFC 7692's example payloads, messages
// compressed the way browsers do, the output bound (bombs included) and corrupt data.
#include "wsgw/message_inflate.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <ostream>
#include <string>

#include "../common/sample_messages.hpp"
#include "../common/zlib_frames.hpp"

namespace wsgw::ws {
// So a failed expectation names the status.
inline void PrintTo(InflateStatus s, std::ostream* os) {
    *os << (s == InflateStatus::ok ? "ok" : s == InflateStatus::too_big ? "too_big"
            : s == InflateStatus::corrupt ? "corrupt" : "unavailable");
}
}  // namespace wsgw::ws

namespace {

using wsgw::ws::inflate_message;
using wsgw::ws::InflateStatus;

constexpr std::size_t kLimit = 1 << 20;

std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s += static_cast<char>(b);
    return s;
}

struct Inflated {
    InflateStatus status;
    std::string text;
};

Inflated inflate(std::string_view compressed, std::size_t limit = kLimit) {
    Inflated r{InflateStatus::ok, "(unset)"};
    r.status = inflate_message(compressed, limit, r.text);
    return r;
}

// --- RFC 7692 section 7.2.3's examples ------------------------------------------------------

TEST(InflateMessage, InflatesOneCompressedBlock) {  // 7.2.3.1
    auto r = inflate(bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
    EXPECT_EQ(r.status, InflateStatus::ok);
    EXPECT_EQ(r.text, "Hello");
}

TEST(InflateMessage, InflatesAStoredBlock) {  // 7.2.3.3
    auto r = inflate(bytes({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}));
    EXPECT_EQ(r.status, InflateStatus::ok);
    EXPECT_EQ(r.text, "Hello");
}

TEST(InflateMessage, InflatesABlockWithBfinalSet) {  // 7.2.3.4
    auto r = inflate(bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}));
    EXPECT_EQ(r.status, InflateStatus::ok);
    EXPECT_EQ(r.text, "Hello");
}

TEST(InflateMessage, InflatesABfinalBlockWithoutTheStoredBlocksFirstByte) {
    auto r = inflate(bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
    EXPECT_EQ(r.status, InflateStatus::ok);
    EXPECT_EQ(r.text, "Hello");
}

TEST(InflateMessage, InflatesTwoBlocksInOneMessage) {  // 7.2.3.5
    auto r = inflate(bytes({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}));
    EXPECT_EQ(r.status, InflateStatus::ok);
    EXPECT_EQ(r.text, "Hello");
}

TEST(InflateMessage, RefusesABackReferenceIntoAnEarlierMessage) {
    // 7.2.3.2: the second "Hello" of a connection that kept its window. client_no_context_takeover
    // is always agreed, so each message stands alone and this one points before its start.
    EXPECT_EQ(inflate(bytes({0xf2, 0x00, 0x11, 0x00, 0x00})).status, InflateStatus::corrupt);
}

// --- What browsers send ---------------------------------------------------------------------

TEST(InflateMessage, InflatesEverySampleMessageCompressedWithASyncFlush) {
    for (const auto& [name, message] : wsgw::sample_messages::all(WSGW_FIXTURES_DIR)) {
        auto r = inflate(wsgw::zlib_frames::sync_flushed(message));
        EXPECT_EQ(r.status, InflateStatus::ok) << name;
        EXPECT_EQ(r.text, message) << name;
    }
}

TEST(InflateMessage, InflatesMessagesCompressedWithASmallWindow) {
    // client_max_window_bits=9 in the offer: the client may use any window from 2^8 up.
    const std::string message = wsgw::sample_messages::long_notification();
    auto r = inflate(wsgw::zlib_frames::sync_flushed(message, 9));
    EXPECT_EQ(r.status, InflateStatus::ok);
    EXPECT_EQ(r.text, message);
}

TEST(InflateMessage, TakesAnEmptyPayloadAsTheEmptyMessage) {
    auto r = inflate("");
    EXPECT_EQ(r.status, InflateStatus::ok);
    EXPECT_EQ(r.text, "");
    r = inflate(bytes({0x00}));  // the empty message as zlib's sync flush writes it
    EXPECT_EQ(r.status, InflateStatus::ok);
    EXPECT_EQ(r.text, "");
}

TEST(InflateMessage, IgnoresBytesAfterAFinalBlock) {
    auto r = inflate(bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x12, 0x34}));
    EXPECT_EQ(r.status, InflateStatus::ok);
    EXPECT_EQ(r.text, "Hello");
}

// --- The bound ------------------------------------------------------------------------------

TEST(InflateMessage, AcceptsAMessageThatInflatesToExactlyTheBound) {
    const std::string message(5000, 'x');
    auto r = inflate(wsgw::zlib_frames::sync_flushed(message), 5000);
    EXPECT_EQ(r.status, InflateStatus::ok);
    EXPECT_EQ(r.text, message);
}

TEST(InflateMessage, AcceptsEveryLengthAtExactlyTheBoundHoweverTheLastCallEnds) {
    // Found by fuzz_ws_deflate (3098 zeros at level 1): when the call that fills the output to
    // the bound also takes the flush block's last bytes, the probe for one more byte comes
    // after the stream stopped between blocks, and must not be taken for a message cut short.
    // Whether that happens depends on how the output buffer grew, so every length up to 4 KiB
    // is tried, as runs of zeros (one long match pending when the input runs out) compressed
    // at level 1, as the gateway does, and at zlib's default level.
    for (std::size_t n = 1; n <= 4096; ++n) {
        const std::string message(n, '\0');
        for (int level : {1, Z_DEFAULT_COMPRESSION}) {
            wsgw::zlib_frames::RawDeflater deflater(15, level);
            std::string compressed;
            deflater.add(message, Z_SYNC_FLUSH, compressed);
            compressed = wsgw::zlib_frames::strip_flush_marker(std::move(compressed));
            auto r = inflate(compressed, n);
            ASSERT_EQ(r.status, InflateStatus::ok) << n << " bytes, level " << level;
            ASSERT_EQ(r.text, message) << n << " bytes, level " << level;
            ASSERT_EQ(inflate(compressed, n - 1).status, InflateStatus::too_big) << n << " bytes, level " << level;
        }
    }
}

TEST(InflateMessage, RefusesAMessageThatInflatesOneByteOverTheBound) {
    const std::string message(5001, 'x');
    EXPECT_EQ(inflate(wsgw::zlib_frames::sync_flushed(message), 5000).status, InflateStatus::too_big);
}

TEST(InflateMessage, StopsABombAtTheBoundWithoutAllocatingPastIt) {
    const std::string bomb = wsgw::zlib_frames::zeros_bomb(std::size_t{64} << 20);
    std::string out;
    EXPECT_EQ(inflate_message(bomb, 64 * 1024, out), InflateStatus::too_big) << bomb.size() << " compressed bytes";
    EXPECT_LE(out.capacity(), 64u * 1024u);
}

TEST(InflateMessage, OutputCapacityStaysWithinTheBound) {
    // Growth doubles from a first guess; the last step is cut to the bound, not doubled past it.
    const std::string message(40'000, 'y');
    std::string out;
    ASSERT_EQ(inflate_message(wsgw::zlib_frames::sync_flushed(message), 50'000, out), InflateStatus::ok);
    EXPECT_EQ(out, message);
    EXPECT_LE(out.capacity(), 50'000u);
}

// --- Corrupt data ---------------------------------------------------------------------------

TEST(InflateMessage, RefusesAnInvalidBlockType) {
    EXPECT_EQ(inflate(bytes({0x07, 0x00})).status, InflateStatus::corrupt);  // BTYPE 11 is reserved
}

TEST(InflateMessage, RefusesAStoredBlockWhoseLengthsDisagree) {
    EXPECT_EQ(inflate(bytes({0x00, 0x05, 0x00, 0x00, 0x00, 0x48})).status, InflateStatus::corrupt);
}

TEST(InflateMessage, RefusesAMessageCutShortInsideABlock) {
    std::string compressed = wsgw::zlib_frames::sync_flushed(wsgw::sample_messages::long_notification());
    compressed.resize(compressed.size() / 2);
    EXPECT_EQ(inflate(compressed).status, InflateStatus::corrupt);
}

TEST(InflateMessage, RefusesRandomBytes) {
    EXPECT_EQ(inflate(wsgw::sample_messages::random_bytes(300, 1)).status, InflateStatus::corrupt);
}

TEST(InflateMessage, ReplacesWhatTheOutputHeld) {
    std::string out = "previous";
    ASSERT_EQ(inflate_message(bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}), kLimit, out), InflateStatus::ok);
    EXPECT_EQ(out, "Hello");
}

}  // namespace
