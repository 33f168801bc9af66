// The WebSocket protocol as the gateway speaks it (RFC 6455), byte by byte from a raw client:
// the opening handshake, server frames, client frames the gateway must accept (fragments,
// control frames, frames sent with the upgrade request) and those it must refuse, the closing
// handshake and keep-alive.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway_process.hpp"
#include "raw_ws_client.hpp"
#include "redis_server.hpp"
#include "test_support.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;
using Frame = RawWsClient::Frame;

constexpr std::uint8_t kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10, kContinuation = 0;

class ProtocolTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        redis_ = new RedisServer();
        gw_ = new GatewayProcess(redis_->url(),
                                 {{"WSGW_MAX_INBOUND_FRAME_BYTES", "4096"}, {"WSGW_MAX_MESSAGE_BYTES", "200000"}});
    }
    static void TearDownTestSuite() {
        delete gw_;
        delete redis_;
    }

    // An upgraded raw client for a fresh user; `after` is sent right behind the request.
    static std::string connect(RawWsClient& c, const std::string& after = "") {
        auto user = unique_user("raw");
        EXPECT_EQ(c.upgrade(gw_->port(), "/ws?token=" + make_token(user), "", after), 101) << c.response_head();
        return user;
    }

    // The next frame is the answer to a JSON ping: a text frame {"type":"pong",...}.
    static ::testing::AssertionResult next_is_json_pong(RawWsClient& c) {
        auto f = c.next_frame();
        if (!f) return ::testing::AssertionFailure() << "no frame";
        if (f->opcode != kText || json::parse(f->payload, nullptr, false).value("type", "") != "pong")
            return ::testing::AssertionFailure() << "opcode " << int(f->opcode) << ": " << f->payload;
        return ::testing::AssertionSuccess();
    }

    // Sends a JSON ping and expects its pong: proof that the socket is registered and the
    // gateway is reading it.
    static ::testing::AssertionResult pong_after_ping(RawWsClient& c) {
        c.send_raw(RawWsClient::frame(kText, R"({"type":"ping"})"));
        return next_is_json_pong(c);
    }

    static RedisServer* redis_;
    static GatewayProcess* gw_;
};
RedisServer* ProtocolTest::redis_ = nullptr;
GatewayProcess* ProtocolTest::gw_ = nullptr;

std::string notification(const std::string& title) {
    return json{{"type", "notification"}, {"payload", {{"title", title}}}}.dump();
}

// --- Opening handshake --------------------------------------------------------------------

TEST_F(ProtocolTest, AnswersTheUpgradeWithTheRfcAcceptKey) {
    RawWsClient c;
    connect(c);
    const auto& head = c.response_head();
    EXPECT_NE(head.find("HTTP/1.1 101 Switching Protocols\r\n"), std::string::npos) << head;
    // RFC 6455 section 1.3: this key's accept value.
    EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("Upgrade: websocket\r\n"), std::string::npos) << head;
    EXPECT_EQ(head.find("Sec-WebSocket-Extensions"), std::string::npos) << "no extension is negotiated";
}

TEST_F(ProtocolTest, RefusesAnotherProtocolVersionWith426NamingVersion13) {
    RawWsClient c;
    EXPECT_EQ(c.upgrade(gw_->port(), "/ws?token=" + make_token(unique_user()), "", "", "8"), 426);
    EXPECT_NE(c.response_head().find("Sec-WebSocket-Version: 13"), std::string::npos) << c.response_head();
}

TEST_F(ProtocolTest, RefusesAMalformedKeyWith400) {
    std::string request = "GET /ws?token=" + make_token(unique_user()) +
                          " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n";
    std::string response;
    EXPECT_EQ(raw_http_status(gw_->port(), request, &response), 400);
    EXPECT_NE(response.find("Sec-WebSocket-Key"), std::string::npos) << response;
}

// RFC 9112 section 3.2 and RFC 6455 section 4.2.1: Host is required once, and never twice.
std::string upgrade_request(const std::string& target, const std::string& host_lines) {
    return "GET " + target + " HTTP/1.1\r\n" + host_lines +
           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

TEST_F(ProtocolTest, RefusesAnUpgradeWithoutHostWith400) {
    std::string response;
    EXPECT_EQ(raw_http_status(gw_->port(), upgrade_request("/ws?token=" + make_token(unique_user()), ""), &response),
              400);
    EXPECT_NE(response.find("missing Host header"), std::string::npos) << response;
}

TEST_F(ProtocolTest, RefusesAnUpgradeWithTwoHostsWith400) {
    std::string response;
    EXPECT_EQ(raw_http_status(gw_->port(),
                              upgrade_request("/ws?token=" + make_token(unique_user()), "Host: a\r\nHost: b\r\n"),
                              &response),
              400);
    EXPECT_NE(response.find("more than one Host header"), std::string::npos) << response;
}

TEST_F(ProtocolTest, RefusesAnHttp11RequestWithoutHostOnEveryPath) {
    EXPECT_EQ(raw_http_status(gw_->port(), "GET /healthz HTTP/1.1\r\n\r\n"), 400);
    EXPECT_EQ(raw_http_status(gw_->port(), "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
    EXPECT_EQ(raw_http_status(gw_->port(), "GET /healthz HTTP/1.0\r\n\r\n"), 200) << "HTTP/1.0 needs no Host";
}

TEST_F(ProtocolTest, AcceptsTheAbsoluteFormOfTheRequestTarget) {
    RawWsClient c;
    const auto target = "http://127.0.0.1:" + std::to_string(gw_->port()) + "/ws?token=" + make_token(unique_user());
    ASSERT_EQ(c.upgrade(gw_->port(), target), 101) << c.response_head();
    EXPECT_TRUE(pong_after_ping(c));
    EXPECT_EQ(raw_http_status(gw_->port(), "GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 200);
}

TEST_F(ProtocolTest, ReadsFramesSentTogetherWithTheUpgradeRequest) {
    RawWsClient c;
    connect(c, RawWsClient::frame(kText, R"({"type":"ping"})"));
    EXPECT_TRUE(next_is_json_pong(c));
}

// --- Server frames ------------------------------------------------------------------------

TEST_F(ProtocolTest, ServerFramesAreFinalUnmaskedTextWithEveryLengthEncoding) {
    RawWsClient c;
    auto user = connect(c);
    ASSERT_TRUE(pong_after_ping(c));
    // 7-bit, 16-bit and 64-bit payload lengths.
    for (std::size_t size : {10u, 300u, 66'000u}) {
        auto title = std::string(size, 'x');
        ASSERT_GE(redis_->publish("user_noti:" + user, notification(title)), 1);
        auto f = c.next_frame();
        ASSERT_TRUE(f) << size;
        EXPECT_TRUE(f->fin);
        EXPECT_FALSE(f->masked) << "server frames are never masked";
        EXPECT_EQ(f->rsv, 0);
        EXPECT_EQ(f->opcode, kText);
        auto msg = json::parse(f->payload);
        EXPECT_EQ(msg["payload"]["title"], title);
    }
}

TEST_F(ProtocolTest, ABurstArrivesWholeAndInOrder) {
    // Frames queued together for one socket leave in one write; their boundaries must survive.
    RawWsClient c;
    auto user = connect(c);
    ASSERT_TRUE(pong_after_ping(c));
    // Fewer than the send queue holds (1024), as the client reads only after the last publish.
    constexpr int kCount = 1000;
    for (int i = 0; i < kCount; ++i) ASSERT_GE(redis_->publish("user_noti:" + user, notification(std::to_string(i))), 1);
    for (int i = 0; i < kCount; ++i) {
        auto f = c.next_frame();
        ASSERT_TRUE(f) << "frame " << i;
        ASSERT_EQ(f->opcode, kText);
        ASSERT_EQ(json::parse(f->payload)["payload"]["title"], std::to_string(i));
    }
}

// --- Client frames the gateway accepts ----------------------------------------------------

TEST_F(ProtocolTest, AnswersAControlPingWithAPongCarryingItsPayload) {
    RawWsClient c;
    connect(c);
    c.send_raw(RawWsClient::frame(kPing, "are you there"));
    auto f = c.next_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, kPong);
    EXPECT_EQ(f->payload, "are you there");
}

TEST_F(ProtocolTest, ReassemblesAFragmentedMessageWithAPingBetweenFragments) {
    RawWsClient c;
    connect(c);
    c.send_raw(RawWsClient::frame(kText, R"({"ty)", false));
    c.send_raw(RawWsClient::frame(kPing, "mid"));
    c.send_raw(RawWsClient::frame(kContinuation, R"(pe":"pi)", false));
    c.send_raw(RawWsClient::frame(kContinuation, R"(ng"})", true));
    auto pong = c.next_frame();
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->opcode, kPong) << "a control frame between fragments is answered at once";
    EXPECT_EQ(pong->payload, "mid");
    EXPECT_TRUE(next_is_json_pong(c));
}

TEST_F(ProtocolTest, ReadsAFrameThatArrivesOneByteAtATime) {
    RawWsClient c;
    connect(c);
    for (char byte : RawWsClient::frame(kText, R"({"type":"ping"})")) {
        c.send_raw(std::string_view(&byte, 1));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_TRUE(next_is_json_pong(c));
}

// --- Client frames the gateway refuses ----------------------------------------------------

struct Violation {
    const char* name;
    std::string bytes;
    int code;
    const char* reason;  // wsgw_disconnects_total reason
    // A protocol violation ends the connection right after the close frame; any other close
    // waits for the client's answering close frame.
    bool awaits_reply = false;
};

class ProtocolViolationTest : public ProtocolTest, public ::testing::WithParamInterface<Violation> {};

TEST_P(ProtocolViolationTest, IsAnsweredWithItsCloseCodeAndTheConnectionEnds) {
    const auto& v = GetParam();
    auto before = gw_->metric(std::string("wsgw_disconnects_total{reason=\"") + v.reason + "\"}");
    RawWsClient c;
    connect(c);
    ASSERT_TRUE(pong_after_ping(c));
    c.send_raw(v.bytes);
    EXPECT_EQ(c.wait_close(), v.code);
    if (v.awaits_reply) {
        EXPECT_FALSE(c.wait_eof(300ms)) << "the server waits for the client's close frame";
        c.send_raw(RawWsClient::close_frame(v.code));
    }
    EXPECT_TRUE(c.wait_eof()) << "the server closes TCP";
    EXPECT_TRUE(eventually(
        [&] { return gw_->metric(std::string("wsgw_disconnects_total{reason=\"") + v.reason + "\"}") == before + 1; }));
}

std::string frame_with_first_byte(std::uint8_t b0, std::string_view payload) {
    auto f = RawWsClient::frame(kText, payload);
    f[0] = static_cast<char>(b0);
    return f;
}

std::string declared_length_only(std::uint64_t length) {
    std::string f{static_cast<char>(0x81), static_cast<char>(0x80 | 127)};
    for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<char>((length >> shift) & 0xff));
    f.append("\x01\x02\x03\x04", 4);  // mask key; the payload never follows
    return f;
}

std::string ping_flood(int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out += RawWsClient::frame(kPing, "p");
    return out;
}

INSTANTIATE_TEST_SUITE_P(
    Frames, ProtocolViolationTest,
    ::testing::Values(Violation{"Unmasked", RawWsClient::frame(kText, "hi", true, false), 1002, "protocol_error"},
                      Violation{"ReservedBit", frame_with_first_byte(0x80 | 0x40 | kText, "hi"), 1002, "protocol_error"},
                      Violation{"UnknownOpcode", frame_with_first_byte(0x80 | 3, "hi"), 1002, "protocol_error"},
                      Violation{"FragmentedControlFrame", RawWsClient::frame(kPing, "x", false), 1002, "protocol_error"},
                      Violation{"ContinuationWithoutStart", RawWsClient::frame(kContinuation, "x"), 1002,
                                "protocol_error"},
                      Violation{"InvalidUtf8", RawWsClient::frame(kText, "caf\xc3"), 1007, "protocol_error"},
                      Violation{"OverTheFrameLimit", RawWsClient::frame(kText, std::string(4097, 'a')), 1009,
                                "frame_too_big"},
                      Violation{"HugeDeclaredLength", declared_length_only(1ull << 40), 1009, "frame_too_big"},
                      Violation{"FragmentsOverTheLimit",
                                RawWsClient::frame(kText, std::string(3000, 'a'), false) +
                                    RawWsClient::frame(kContinuation, std::string(3000, 'a')),
                                1009, "frame_too_big"},
                      Violation{"Binary", RawWsClient::frame(kBinary, "\x01\x02"), 1003, "binary_frame", true},
                      // Control pings cost a pong each, so they count against the message rate
                      // (default burst 20).
                      Violation{"PingFlood", ping_flood(40), 1008, "rate_limited", true}),
    [](const auto& info) { return std::string(info.param.name); });

// RFC 6455 section 5.5.2: a ping that arrives before a close, or before a frame that fails the
// connection, is still answered; the frames travel in one write, so the gateway reads them in
// one go.
TEST_F(ProtocolTest, AnswersPingsThatPrecedeAViolationInTheSameReadBeforeClosing) {
    RawWsClient c;
    connect(c);
    ASSERT_TRUE(pong_after_ping(c));
    c.send_raw(RawWsClient::frame(kPing, "first") + RawWsClient::frame(kText, R"({"type":"ping"})") +
               RawWsClient::frame(kText, "hi", true, false) /* unmasked: fails the connection */ +
               RawWsClient::frame(kPing, "after"));
    auto pong = c.next_frame();
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->opcode, kPong);
    EXPECT_EQ(pong->payload, "first");
    EXPECT_TRUE(next_is_json_pong(c)) << "the application ping before the violation is answered too";
    auto close = c.next_frame();
    ASSERT_TRUE(close);
    ASSERT_EQ(close->opcode, kClose) << "nothing after the violation is answered: " << close->payload;
    EXPECT_EQ(close->payload.substr(0, 2), std::string("\x03\xea", 2)) << "1002";
    EXPECT_TRUE(c.wait_eof());
}

TEST_F(ProtocolTest, AnswersAPingThatPrecedesTheClientsCloseInTheSameRead) {
    RawWsClient c;
    connect(c);
    ASSERT_TRUE(pong_after_ping(c));
    c.send_raw(RawWsClient::frame(kPing, "before") + RawWsClient::close_frame(1000) + RawWsClient::frame(kPing, "after"));
    auto pong = c.next_frame();
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->opcode, kPong);
    EXPECT_EQ(pong->payload, "before");
    auto close = c.next_frame();
    ASSERT_TRUE(close);
    EXPECT_EQ(close->opcode, kClose) << "no pong for the ping after the close: " << close->payload;
    EXPECT_TRUE(c.wait_eof());
}

// --- Closing handshake --------------------------------------------------------------------

TEST_F(ProtocolTest, EchoesTheClientsCloseCodeAndThenClosesTcp) {
    RawWsClient c;
    auto user = connect(c);
    ASSERT_TRUE(pong_after_ping(c));
    c.send_raw(RawWsClient::close_frame(4321, "bye"));
    EXPECT_EQ(c.wait_close(), 4321);
    EXPECT_TRUE(c.wait_eof());
    EXPECT_TRUE(eventually([&] {
        auto log = gw_->log();
        return log.find("\"user\":\"" + user + "\"") != std::string::npos &&
               log.find("\"code\":4321,\"reason\":\"client_close\"") != std::string::npos;
    })) << gw_->log();
}

TEST_F(ProtocolTest, AnswersAnEmptyCloseWithAnEmptyClose) {
    RawWsClient c;
    connect(c);
    ASSERT_TRUE(pong_after_ping(c));
    c.send_raw(RawWsClient::frame(kClose, ""));
    auto f = c.next_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, kClose);
    EXPECT_EQ(f->payload, "") << "1005 is never sent on the wire";
    EXPECT_TRUE(c.wait_eof());
}

TEST_F(ProtocolTest, ACloseWithAnInvalidCodeIsAProtocolError) {
    RawWsClient c;
    connect(c);
    ASSERT_TRUE(pong_after_ping(c));
    c.send_raw(RawWsClient::close_frame(1005));
    EXPECT_EQ(c.wait_close(), 1002);
}

// --- Keep-alive ---------------------------------------------------------------------------

TEST(KeepAlive, PingsASilentClientAndDropsItWhenNoPongComes) {
    RedisServer redis;
    GatewayProcess gw(redis.url(), {{"WSGW_WS_PING_INTERVAL_MS", "500"}});
    RawWsClient silent, answering;
    ASSERT_EQ(silent.upgrade(gw.port(), "/ws?token=" + make_token(unique_user())), 101);
    ASSERT_EQ(answering.upgrade(gw.port(), "/ws?token=" + make_token(unique_user())), 101);

    // A client that answers every ping stays, however long it says nothing else.
    auto deadline = std::chrono::steady_clock::now() + 3s;
    int pings = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        auto f = answering.next_frame(200ms);
        if (!f) continue;
        ASSERT_EQ(f->opcode, kPing);
        ++pings;
        answering.send_raw(RawWsClient::frame(kPong, f->payload));
    }
    EXPECT_GE(pings, 2);
    EXPECT_FALSE(answering.eof());
    answering.send_raw(RawWsClient::frame(kText, R"({"type":"ping"})"));
    auto reply = answering.next_frame();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->opcode, kText);

    // Meanwhile the silent one was pinged after an interval and dropped after the next.
    auto ping = silent.next_frame(1s);
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->opcode, kPing);
    EXPECT_TRUE(silent.wait_eof(1s));
    EXPECT_EQ(gw.metric("wsgw_disconnects_total{reason=\"timeout\"}"), 1);
}

}  // namespace
}  // namespace wsgw::test
