// permessage-deflate (RFC 7692) as clients meet it, from a raw client that reads RSV1 and inflates
// every compressed message with a fresh inflater, and from python's websockets library: what is
// agreed to and what is declined, one compressed frame per message shared by every socket that
// agreed, small messages and other sockets uncompressed and in the same order, compressed client
// frames accepted, and bombs refused with 1009 while the process's memory stays flat.
#include <gtest/gtest.h>
#include <signal.h>
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "../common/zlib_frames.hpp"
#include "gateway_process.hpp"
#include "process_util.hpp"
#include "raw_ws_client.hpp"
#include "redis_server.hpp"
#include "test_support.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;
using Frame = RawWsClient::Frame;

constexpr std::uint8_t kText = 1;
constexpr std::uint8_t kRsv1 = 4;  // RawWsClient::Frame::rsv holds RSV1..RSV3 as bits 2..0
const std::string kChromiumOffer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
const std::string kAgreed = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n";

// Inflates one message as a client without context takeover does: a fresh raw inflater, the
// payload and the four bytes RFC 7692 section 7.2.2 has the receiver append. nullopt on corrupt
// data.
std::optional<std::string> inflate_message(std::string_view compressed) {
    z_stream z{};
    if (inflateInit2(&z, -15) != Z_OK) return std::nullopt;
    std::string input(compressed);
    input.append("\x00\x00\xff\xff", 4);
    z.next_in = reinterpret_cast<Bytef*>(input.data());
    z.avail_in = static_cast<uInt>(input.size());
    std::string out;
    char buf[16384];
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_SYNC_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
        if (rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0)) break;
    }
    inflateEnd(&z);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return std::nullopt;
    return out;
}

// A compressed client frame: RSV1 on a masked text frame.
std::string compressed_client_frame(std::string_view deflated) {
    std::string f = RawWsClient::frame(kText, deflated);
    f[0] = static_cast<char>(static_cast<unsigned char>(f[0]) | 0x40);
    return f;
}

// A notification whose JSON is `bytes` long or a little more, repetitive as real payloads are.
std::string notification(int seq, std::size_t bytes) {
    json m = {{"type", "notification"}, {"payload", {{"seq", seq}, {"items", json::array()}}}};
    while (m.dump().size() < bytes)
        m["payload"]["items"].push_back({{"title", "Crawl finished"}, {"url", "https://example.com/a/long/path"}, {"status", "DONE"}});
    return m.dump();
}

int seq_of(const std::string& frame_json) { return json::parse(frame_json)["payload"]["seq"].get<int>(); }

long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

class CompressionTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        redis_ = new RedisServer();
        gw_ = new GatewayProcess(redis_->url(), {{"WSGW_MAX_INBOUND_FRAME_BYTES", "4096"},
                                                 {"WSGW_CLIENT_MESSAGES_PER_SECOND", "1000"},
                                                 {"WSGW_CLIENT_MESSAGES_BURST", "1000"}});
    }
    static void TearDownTestSuite() {
        delete gw_;
        delete redis_;
    }
    // Upgrades a raw client for `user` with `headers`; returns the status.
    static int open(RawWsClient& c, const std::string& user, const std::string& headers) {
        return c.upgrade(gw_->port(), "/ws?token=" + make_token(user), headers);
    }
    // A ping answered means the socket is registered: the gateway reads a socket only then.
    static bool registered(RawWsClient& c) {
        c.send_raw(RawWsClient::frame(kText, R"({"type":"ping"})"));
        auto f = c.next_frame();
        return f && f->rsv == 0 && json::parse(f->payload).value("type", "") == "pong";
    }
    static RedisServer* redis_;
    static GatewayProcess* gw_;
};
RedisServer* CompressionTest::redis_ = nullptr;
GatewayProcess* CompressionTest::gw_ = nullptr;

TEST_F(CompressionTest, ChromiumsOfferIsAgreedAndLargeMessagesArriveCompressedSmallOnesPlain) {
    RawWsClient c;
    const auto user = unique_user("dfl");
    ASSERT_EQ(open(c, user, kChromiumOffer), 101);
    EXPECT_NE(c.response_head().find(kAgreed), std::string::npos) << c.response_head();
    ASSERT_TRUE(registered(c));

    const auto big = notification(1, 4000);
    const auto small = json{{"type", "notification"}, {"payload", {{"seq", 2}}}}.dump();
    ASSERT_EQ(redis_->publish("user_noti:" + user, big), 1);
    ASSERT_EQ(redis_->publish("user_noti:" + user, small), 1);

    auto f1 = c.next_frame();
    ASSERT_TRUE(f1);
    EXPECT_EQ(f1->opcode, kText);
    EXPECT_EQ(f1->rsv, kRsv1) << "a message over compression_min_bytes is compressed";
    auto text = inflate_message(f1->payload);
    ASSERT_TRUE(text) << "a fresh inflater reads it: no context from an earlier message is needed";
    EXPECT_EQ(seq_of(*text), 1);
    EXPECT_EQ(json::parse(*text)["payload"], json::parse(big)["payload"]);
    EXPECT_LT(f1->payload.size() * 3, text->size()) << "at least 3x fewer bytes for a repetitive 4 KB message";

    auto f2 = c.next_frame();
    ASSERT_TRUE(f2);
    EXPECT_EQ(f2->rsv, 0) << "a message under compression_min_bytes goes out plain";
    EXPECT_EQ(seq_of(f2->payload), 2);
}

TEST_F(CompressionTest, SocketsWithAndWithoutTheExtensionGetTheSameMessagesInTheSameOrder) {
    const auto user = unique_user("dfl");
    RawWsClient deflating, plain;
    ASSERT_EQ(open(deflating, user, kChromiumOffer), 101);
    ASSERT_EQ(open(plain, user, ""), 101);
    EXPECT_EQ(plain.response_head().find("Sec-WebSocket-Extensions"), std::string::npos) << "no offer, no extension";
    ASSERT_TRUE(registered(deflating));
    ASSERT_TRUE(registered(plain));
    for (int i = 1; i <= 20; ++i)
        ASSERT_EQ(redis_->publish("user_noti:" + user, notification(i, i % 2 ? 2000 : 100)), 1);
    for (int i = 1; i <= 20; ++i) {
        auto p = plain.next_frame();
        auto d = deflating.next_frame();
        ASSERT_TRUE(p && d);
        EXPECT_EQ(p->rsv, 0);
        EXPECT_EQ(d->rsv, i % 2 ? kRsv1 : 0) << i;
        const std::string text = d->rsv ? inflate_message(d->payload).value_or("") : d->payload;
        EXPECT_EQ(text, p->payload) << "the same frame, compressed: message " << i;
        EXPECT_EQ(seq_of(p->payload), i);
    }
}

TEST_F(CompressionTest, OffersThisServerCannotHonourOrThatAreInvalidAreDeclinedNotFailed) {
    for (const std::string offer : {"permessage-deflate; server_max_window_bits=10",  // a window below 32 KiB
                                    "permessage-deflate; server_max_window_bits=16",  // out of range
                                    "permessage-deflate; server_max_window_bits",     // no value
                                    "permessage-deflate; client_no_context_takeover=1",
                                    "permessage-deflate; bogus_parameter",
                                    "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                                    "x-webkit-deflate-frame"}) {
        RawWsClient c;
        ASSERT_EQ(open(c, unique_user("dfl"), "Sec-WebSocket-Extensions: " + offer + "\r\n"), 101) << offer;
        EXPECT_EQ(c.response_head().find("Sec-WebSocket-Extensions"), std::string::npos) << offer;
    }
    // The first acceptable offer wins; the window of 15 bits is echoed.
    RawWsClient c;
    ASSERT_EQ(open(c, unique_user("dfl"),
                   "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=9, "
                   "permessage-deflate; server_max_window_bits=15\r\n"),
              101);
    EXPECT_NE(c.response_head().find("server_max_window_bits=15"), std::string::npos) << c.response_head();
}

TEST_F(CompressionTest, CompressedClientFramesAreInflatedOnceAgreed) {
    RawWsClient c;
    ASSERT_EQ(open(c, unique_user("dfl"), kChromiumOffer), 101);
    c.send_raw(compressed_client_frame(zlib_frames::sync_flushed(R"({"type":"ping"})")));
    auto f = c.next_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(json::parse(f->rsv ? inflate_message(f->payload).value_or("{}") : f->payload).value("type", ""), "pong");
}

TEST_F(CompressionTest, RsvOneWithoutTheExtensionIsStillAProtocolError) {
    RawWsClient c;
    ASSERT_EQ(open(c, unique_user("dfl"), ""), 101);
    c.send_raw(compressed_client_frame(zlib_frames::sync_flushed(R"({"type":"ping"})")));
    EXPECT_EQ(c.wait_close(), 1002);
}

TEST_F(CompressionTest, InflateBombsCloseWith1009AndMemoryStaysFlat) {
    // 1 MiB of one byte deflates to about 1 KiB: within max_inbound_frame_bytes (4096)
    // compressed, 256 times past it inflated.
    const std::string bomb = zlib_frames::sync_flushed(std::string(1 << 20, 'a'));
    ASSERT_LT(bomb.size(), 4000u);
    // A 64 MiB bomb does not even get in: compressed, it is larger than the limit.
    const std::string big_bomb = zlib_frames::zeros_bomb(std::size_t{64} << 20);
    ASSERT_GT(big_bomb.size(), 4096u);

    const long before = rss_kib(gw_->pid());
    for (int i = 0; i < 50; ++i) {
        RawWsClient c;
        ASSERT_EQ(open(c, unique_user("bomb"), kChromiumOffer), 101);
        c.send_raw(compressed_client_frame(i % 2 ? bomb : big_bomb));
        EXPECT_EQ(c.wait_close(), 1009) << i;
    }
    const long after = rss_kib(gw_->pid());
    EXPECT_LT(after - before, 16 * 1024) << "RSS " << before << " KiB before, " << after << " KiB after";
    EXPECT_GT(gw_->metric("wsgw_disconnects_total{reason=\"frame_too_big\"}"), 0);
}

TEST(CompressionOffTest, TheOfferIsIgnoredWhenCompressionIsOff) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_COMPRESSION", "off"}});
    RawWsClient c;
    ASSERT_EQ(c.upgrade(gw.port(), "/ws?token=" + make_token(unique_user("off")), kChromiumOffer), 101);
    EXPECT_EQ(c.response_head().find("Sec-WebSocket-Extensions"), std::string::npos);
    EXPECT_EQ(gw.metric("wsgw_connections_compressed_total"), 0);
}

// python's websockets (what many back-office clients use) negotiates the extension by default
// and inflates what it gets.
TEST_F(CompressionTest, PythonWebsocketsNegotiatesItAndReadsCompressedMessages) {
    const auto user = unique_user("py");
    const std::string out_path = "/tmp/wsgw-py-ws-" + user + ".out";
    const std::string script =
        "import asyncio, sys, websockets\n"
        "async def main():\n"
        "    async with websockets.connect(sys.argv[1]) as ws:\n"
        "        print([type(e).__name__ + ':' + str(getattr(e, 'remote_no_context_takeover', '')) for e in ws.extensions], flush=True)\n"
        "        print(await asyncio.wait_for(ws.recv(), 10), flush=True)\n"
        "asyncio.run(main())\n";
    const pid_t pid = spawn({"/usr/bin/python3", "-c", script,
                             "ws://127.0.0.1:" + std::to_string(gw_->port()) + "/ws?token=" + make_token(user)},
                            {}, out_path);
    // The socket registers a moment after its upgrade: the message is published until the
    // client has printed one and exited.
    int code = -1;
    for (int i = 0; i < 100 && code == -1; ++i) {
        ASSERT_EQ(redis_->publish("user_noti:" + user, notification(7, 3000)), 1);
        code = wait_exit(pid, std::chrono::milliseconds(150));
    }
    if (code == -1) {
        ::kill(pid, SIGKILL);
        wait_exit(pid, std::chrono::seconds(5));
    }
    ASSERT_EQ(code, 0) << read_file(out_path);
    const auto out = read_file(out_path);
    EXPECT_NE(out.find("PerMessageDeflate:True"), std::string::npos) << out;
    const auto last_line = out.substr(out.find('\n') + 1);
    EXPECT_EQ(seq_of(last_line), 7) << out;
}

}  // namespace
}  // namespace wsgw::test
