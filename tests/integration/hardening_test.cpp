// Hostile and slow clients, limits, TLS, token expiry and drain, against the real daemon.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "gateway_process.hpp"
#include "process_util.hpp"
#include "raw_ws_client.hpp"
#include "redis_server.hpp"
#include "sse_client.hpp"
#include "test_support.hpp"
#include "ws_client.hpp"
#include "wsgw/auth.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;

class HardeningTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { redis_ = new RedisServer(); }
    static void TearDownTestSuite() {
        delete redis_;
        redis_ = nullptr;
    }
    static RedisServer* redis_;
};
RedisServer* HardeningTest::redis_ = nullptr;

// --- Origin ------------------------------------------------------------------------------------

TEST_F(HardeningTest, OriginAllowlistRefusesOtherOriginsWith403BeforeUpgrade) {
    GatewayProcess gw(redis_->url(), {{"WSGW_ALLOWED_ORIGINS", "https://app.example.com, https://*.example.org"}});
    auto user = unique_user();
    for (std::string bad : {"https://evil.com", "https://example.org", "http://app.example.com", "null"}) {
        WsClient c;
        EXPECT_FALSE(c.connect(gw.port(), "/ws?token=" + make_token(user), {{"Origin", bad}})) << bad;
        EXPECT_EQ(c.refused_status(), 403) << bad;
    }
    for (std::string good : {"https://app.example.com", "https://eu.example.org", "https://APP.example.com:443"}) {
        WsClient c;
        EXPECT_TRUE(c.connect(gw.port(), "/ws?token=" + make_token(user), {{"Origin", good}})) << good;
    }
    WsClient no_origin;
    EXPECT_TRUE(no_origin.connect(gw.port(), "/ws?token=" + make_token(user))) << "non-browser clients send no Origin";
    EXPECT_GE(gw.metric("wsgw_http_rejections_total{reason=\"forbidden_origin\"}"), 4);
}

// A cookie is sent by the browser on requests that any site starts: with the default settings
// (cookie on, no allowlist) a page on another site must not open an authenticated socket.
TEST_F(HardeningTest, ACookieTokenFromAnotherSitesPageIsRefusedWith403ByDefault) {
    GatewayProcess gw(redis_->url());
    auto cookie = "wsgw_token=" + make_token(unique_user());
    WsClient hijack;
    EXPECT_FALSE(hijack.connect(gw.port(), "/ws", {{"Cookie", cookie}, {"Origin", "https://evil.example"}}));
    EXPECT_EQ(hijack.refused_status(), 403) << hijack.refused_body();
    EXPECT_EQ(json::parse(hijack.refused_body()).value("error", ""), "forbidden_origin") << hijack.refused_body();
    EXPECT_EQ(gw.metric("wsgw_http_rejections_total{reason=\"forbidden_origin\"}"), 1);
    EXPECT_NE(gw.log().find("\"event\":\"origin_refused\""), std::string::npos) << gw.log();
    EXPECT_EQ(gw.log().find(cookie.substr(11)), std::string::npos) << "the token was logged";

    WsClient same_origin, query_token, header_token, no_origin;
    EXPECT_TRUE(same_origin.connect(gw.port(), "/ws", {{"Cookie", cookie}, {"Origin", "http://127.0.0.1"}}))
        << "the gateway's own origin (Host: 127.0.0.1) " << same_origin.refused_body();
    EXPECT_TRUE(query_token.connect(gw.port(), "/ws?token=" + make_token(unique_user()),
                                    {{"Origin", "https://evil.example"}}))
        << "a query token is not ambient: no allowlist, no check, as before";
    EXPECT_TRUE(header_token.connect(gw.port(), "/ws", {{"Authorization", "Bearer " + make_token(unique_user())},
                                                       {"Origin", "https://evil.example"}}));
    EXPECT_TRUE(no_origin.connect(gw.port(), "/ws", {{"Cookie", cookie}})) << "not a browser";
}

TEST_F(HardeningTest, ACookieTokenIsAcceptedFromAListedOriginOnly) {
    GatewayProcess gw(redis_->url(), {{"WSGW_ALLOWED_ORIGINS", "https://app.example"}});
    auto cookie = "wsgw_token=" + make_token(unique_user());
    WsClient listed, own;
    EXPECT_TRUE(listed.connect(gw.port(), "/ws", {{"Cookie", cookie}, {"Origin", "https://app.example"}}))
        << listed.refused_body();
    EXPECT_FALSE(own.connect(gw.port(), "/ws", {{"Cookie", cookie}, {"Origin", "http://127.0.0.1"}}))
        << "with a list, only the list counts";
    EXPECT_EQ(own.refused_status(), 403);
}

// Behind a trusted proxy the browser's host is the forwarded one: a cookie from the page's own
// origin is accepted there, and the header is not believed from anyone else.
TEST_F(HardeningTest, ACookieTokenBehindATrustedProxyIsCheckedAgainstTheForwardedHost) {
    auto cookie = "wsgw_token=" + make_token(unique_user());
    const std::map<std::string, std::string> from_app = {
        {"Cookie", cookie}, {"Origin", "https://push.example"}, {"X-Forwarded-Host", "evil.example, push.example"}};
    {
        GatewayProcess gw(redis_->url(), {{"WSGW_TRUSTED_PROXIES", "127.0.0.0/8"}});
        WsClient c;
        EXPECT_TRUE(c.connect(gw.port(), "/ws", from_app)) << c.refused_status() << " " << c.refused_body();
    }
    {
        GatewayProcess gw(redis_->url());
        WsClient c;
        EXPECT_FALSE(c.connect(gw.port(), "/ws", from_app)) << "X-Forwarded-Host believed from an untrusted peer";
        EXPECT_EQ(c.refused_status(), 403);
    }
}

// An <img> or <iframe> on another site sends the cookie with no Origin: it must not open event
// streams that use up the user's connection slots.
TEST_F(HardeningTest, AnEventStreamWithACookieAndNoOriginIsRefusedWhenTheFetchIsCrossSite) {
    GatewayProcess gw(redis_->url());
    auto cookie = "Cookie: wsgw_token=" + make_token(unique_user()) + "\r\n";
    SseClient image;
    EXPECT_EQ(image.open(gw.port(), "/events", cookie + "Sec-Fetch-Site: cross-site\r\n", "*/*"), 403);
    EXPECT_NE(image.body().find("cross-site"), std::string::npos);
    SseClient sibling;
    EXPECT_EQ(sibling.open(gw.port(), "/events", cookie + "Sec-Fetch-Site: same-site\r\n"), 403);
    SseClient evil;
    EXPECT_EQ(evil.open(gw.port(), "/events", cookie + "Origin: https://evil.example\r\nSec-Fetch-Site: cross-site\r\n"),
              403);
    SseClient page;
    EXPECT_EQ(page.open(gw.port(), "/events", cookie + "Sec-Fetch-Site: same-origin\r\n"), 200)
        << "the gateway's own page: an EventSource sends no Origin on a same-origin GET";
    SseClient query;
    EXPECT_EQ(query.open(gw.port(), "/events?token=" + make_token(unique_user()), "Sec-Fetch-Site: cross-site\r\n"), 200)
        << "a query token is not ambient";
    EXPECT_EQ(gw.metric("wsgw_http_rejections_total{reason=\"forbidden_origin\"}"), 3);
}

// --- Connection limits -----------------------------------------------------------------------

TEST_F(HardeningTest, PerUserLimitAnswers429AndFreesTheSlotOnClose) {
    GatewayProcess gw(redis_->url(), {{"WSGW_MAX_CONNECTIONS_PER_USER", "2"}});
    auto user = unique_user();
    auto a = std::make_unique<WsClient>();
    WsClient b, c;
    ASSERT_TRUE(join(*a, gw.port(), user));
    ASSERT_TRUE(join(b, gw.port(), user));
    EXPECT_FALSE(c.connect(gw.port(), "/ws?token=" + make_token(user)));
    EXPECT_EQ(c.refused_status(), 429);
    EXPECT_NE(c.refused_body().find("over_user_limit"), std::string::npos);
    WsClient other_user;
    EXPECT_TRUE(join(other_user, gw.port(), unique_user())) << "the limit is per user";
    a->close();
    a.reset();
    EXPECT_TRUE(eventually([&] {
        WsClient d;
        return d.connect(gw.port(), "/ws?token=" + make_token(user));
    })) << "closing a socket must free its slot";
}

TEST_F(HardeningTest, TotalLimitAnswers503) {
    GatewayProcess gw(redis_->url(), {{"WSGW_MAX_CONNECTIONS", "3"}});
    std::vector<std::unique_ptr<WsClient>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(std::make_unique<WsClient>());
        ASSERT_TRUE(join(*held.back(), gw.port(), unique_user()));
    }
    WsClient extra;
    EXPECT_FALSE(extra.connect(gw.port(), "/ws?token=" + make_token(unique_user())));
    EXPECT_EQ(extra.refused_status(), 503);
    EXPECT_EQ(gw.metric("wsgw_http_rejections_total{reason=\"over_capacity\"}"), 1);
}

TEST_F(HardeningTest, PerAddressLimitUsesForwardedForOnlyFromTrustedProxies) {
    {
        GatewayProcess gw(redis_->url(), {{"WSGW_MAX_CONNECTIONS_PER_ADDRESS", "2"}, {"WSGW_TRUSTED_PROXIES", "127.0.0.0/8"}});
        WsClient a1, a2, a3, b1;
        ASSERT_TRUE(join(a1, gw.port(), unique_user(), {{"X-Forwarded-For", "203.0.113.7"}}));
        ASSERT_TRUE(join(a2, gw.port(), unique_user(), {{"X-Forwarded-For", "198.51.100.1, 203.0.113.7"}}));
        EXPECT_FALSE(a3.connect(gw.port(), "/ws?token=" + make_token(unique_user()), {{"X-Forwarded-For", "203.0.113.7"}}));
        EXPECT_EQ(a3.refused_status(), 429);
        EXPECT_TRUE(join(b1, gw.port(), unique_user(), {{"X-Real-IP", "203.0.113.8"}})) << "another client address";
    }
    {
        // Without trusted proxies the header is ignored: every socket is 127.0.0.1.
        GatewayProcess gw(redis_->url(), {{"WSGW_MAX_CONNECTIONS_PER_ADDRESS", "2"}});
        WsClient a1, a2, a3;
        ASSERT_TRUE(join(a1, gw.port(), unique_user(), {{"X-Forwarded-For", "203.0.113.1"}}));
        ASSERT_TRUE(join(a2, gw.port(), unique_user(), {{"X-Forwarded-For", "203.0.113.2"}}));
        EXPECT_FALSE(a3.connect(gw.port(), "/ws?token=" + make_token(unique_user()), {{"X-Forwarded-For", "203.0.113.3"}}));
        EXPECT_EQ(a3.refused_status(), 429) << "a spoofed X-Forwarded-For escaped the per-address limit";
    }
}

// RFC 9110 section 5.3: several X-Forwarded-For lines are one list. A proxy that adds its own line
// (the real client address) instead of appending to the client's must not let the client's
// forged first line choose the address.
TEST_F(HardeningTest, EveryForwardedForLineCountsSoAForgedFirstLineDoesNotWin) {
    GatewayProcess gw(redis_->url(), {{"WSGW_MAX_CONNECTIONS_PER_ADDRESS", "2"}, {"WSGW_TRUSTED_PROXIES", "127.0.0.0/8"}});
    std::vector<std::unique_ptr<SseClient>> held;
    for (int i = 1; i <= 2; ++i) {
        held.push_back(std::make_unique<SseClient>());
        ASSERT_EQ(held.back()->open(gw.port(), "/events?token=" + make_token(unique_user()),
                                    "X-Forwarded-For: 10.9.9." + std::to_string(i) + "\r\nX-Forwarded-For: 203.0.113.7\r\n"),
                  200);
    }
    SseClient third;
    EXPECT_EQ(third.open(gw.port(), "/events?token=" + make_token(unique_user()),
                         "X-Forwarded-For: 10.9.9.3\r\nX-Forwarded-For: 203.0.113.7\r\n"),
              429)
        << "a forged first line escaped the per-address limit";
    SseClient other;
    EXPECT_EQ(other.open(gw.port(), "/events?token=" + make_token(unique_user()),
                         "X-Forwarded-For: 10.9.9.3\r\nX-Forwarded-For: 203.0.113.8\r\n"),
              200)
        << "another real address";
}

TEST_F(HardeningTest, HandshakeTimeoutDropsSilentConnections) {
    GatewayProcess gw(redis_->url(), {{"WSGW_HANDSHAKE_TIMEOUT_MS", "300"}});
    // A TCP connection that never sends a request.
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s(ioc);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), gw.port()});
    char buf[16];
    boost::system::error_code ec;
    s.read_some(boost::asio::buffer(buf), ec);  // blocks until the server hangs up
    EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) << ec.message();
}

// A tab closed or a network lost: TCP ends without a close frame. That is the client's close
// (code 1006), not a fault to alert on.
TEST_F(HardeningTest, AClientThatVanishesWithoutACloseFrameIsCountedAsClosingNotAsAnError) {
    GatewayProcess gw(redis_->url());
    {
        WsClient c;
        ASSERT_TRUE(join(c, gw.port(), unique_user()));
    }  // the socket is closed without a close frame
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_disconnects_total{reason=\"client_close\"}") == 1; })) << gw.log();
    EXPECT_EQ(gw.metric("wsgw_disconnects_total{reason=\"error\"}"), 0);
    EXPECT_NE(gw.log().find("\"code\":1006,\"reason\":\"client_close\",\"error\":\"\""), std::string::npos) << gw.log();
}

// --- Unauthenticated connections and the internal listener ---------------------------------------

TEST_F(HardeningTest, ConnectionsThatHaveNotAuthenticatedAreCappedAndUpgradedOnesDoNotCount) {
    GatewayProcess gw(redis_->url(), {{"WSGW_MAX_PENDING_CONNECTIONS", "3"}});
    WsClient upgraded;
    ASSERT_TRUE(join(upgraded, gw.port(), unique_user()));
    boost::asio::io_context ioc;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> silent;
    for (int i = 0; i < 3; ++i) {
        silent.push_back(std::make_unique<boost::asio::ip::tcp::socket>(ioc));
        silent.back()->connect({boost::asio::ip::make_address("127.0.0.1"), gw.port()});
    }
    ASSERT_TRUE(eventually([&] {
        // Each try is a pending connection of its own: refused while three silent ones are held.
        return http_get(gw.port(), "/healthz", {}, 1s).status == 0;
    })) << "a fourth unauthenticated connection was served";
    silent.clear();
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_http_rejections_total{reason=\"over_pending_limit\"}") >= 1; }))
        << gw.log();
    EXPECT_NE(gw.log().find("\"limit\":\"max_pending_connections\""), std::string::npos) << gw.log();
    WsClient later;
    EXPECT_TRUE(join(later, gw.port(), unique_user())) << "the cap frees as connections go";
}

TEST_F(HardeningTest, AKeepAliveConnectionThatNeverUpgradesIsClosedAfterItsRequestCap) {
    GatewayProcess gw(redis_->url(), {{"WSGW_MAX_REQUESTS_PER_CONNECTION", "3"}});
    std::string probe = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    std::string response;
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(raw_http_status(gw.port(), probe + probe + probe + probe + probe, &response, 5s), 200);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 4s) << "the connection was not closed";
    EXPECT_EQ(count_of(response, "HTTP/1.1 200"), 3u) << response;
    EXPECT_EQ(count_of(response, "Connection: close"), 1u) << response;
}

TEST_F(HardeningTest, AnInternalListenerServesMetricsAndThePublicOneNoLonger) {
    const auto internal = free_port();
    GatewayProcess gw(redis_->url(), {{"WSGW_INTERNAL_LISTEN", "127.0.0.1:" + std::to_string(internal)}});
    EXPECT_EQ(http_get(gw.port(), "/metrics").status, 404) << "metrics on the public port";
    auto scraped = http_get(internal, "/metrics");
    EXPECT_EQ(scraped.status, 200);
    EXPECT_NE(scraped.body.find("wsgw_connections "), std::string::npos);
    for (const char* probe : {"/healthz", "/readyz"}) {
        EXPECT_EQ(http_get(gw.port(), probe).status, 200) << probe;
        EXPECT_EQ(http_get(internal, probe).status, 200) << probe;
    }
    WsClient c;
    EXPECT_FALSE(c.connect(internal, "/ws?token=" + make_token(unique_user())));
    EXPECT_EQ(c.refused_status(), 404) << "clients do not connect on the internal listener";
    WsClient ok;
    EXPECT_TRUE(join(ok, gw.port(), unique_user()));
    EXPECT_NE(gw.log().find("\"event\":\"listening_internal\""), std::string::npos) << gw.log();
}

// --- Inbound rate and token expiry -------------------------------------------------------------

TEST_F(HardeningTest, ClientFloodingFramesIsClosedWith1008) {
    GatewayProcess gw(redis_->url(), {{"WSGW_CLIENT_MESSAGES_PER_SECOND", "5"}, {"WSGW_CLIENT_MESSAGES_BURST", "5"}});
    WsClient c;
    ASSERT_TRUE(join(c, gw.port(), unique_user()));
    for (int i = 0; i < 30; ++i) c.send_text(R"({"type":"hello"})");
    EXPECT_EQ(c.wait_closed(), 1008);
    // The server counts the disconnect when its side of the close completes.
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_disconnects_total{reason=\"rate_limited\"}") == 1; }));
}

TEST_F(HardeningTest, SocketIsClosedWith4001WhenItsTokenExpires) {
    GatewayProcess gw(redis_->url(), {{"WSGW_JWT_LEEWAY_S", "0"}});
    WsClient c;
    ASSERT_TRUE(c.connect(gw.port(), "/ws?token=" + make_token(unique_user(), 2)));
    EXPECT_EQ(c.wait_closed(6s), 4001);
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_disconnects_total{reason=\"token_expired\"}") == 1; }));
}

TEST_F(HardeningTest, VerifiesRs256AndEs256TokensWithAPublicKeyAndRefusesHs256) {
    TempDir dir;
    ASSERT_EQ(run_shell("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + dir.file("rsa.pem") +
                        " 2>/dev/null && openssl pkey -in " + dir.file("rsa.pem") + " -pubout -out " + dir.file("rsa.pub")),
              0);
    ASSERT_EQ(run_shell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + dir.file("ec.pem") +
                        " 2>/dev/null && openssl pkey -in " + dir.file("ec.pem") + " -pubout -out " + dir.file("ec.pub")),
              0);
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto claims = json{{"sub", "alice"}, {"exp", now + 600}}.dump();
    for (auto [alg, name, key] : {std::tuple{JwtAlgorithm::rs256, "RS256", "rsa"}, std::tuple{JwtAlgorithm::es256, "ES256", "ec"}}) {
        GatewayProcess gw(redis_->url(), {{"WSGW_JWT_ALGORITHM", name},
                                          {"WSGW_JWT_SECRET", ""},
                                          {"WSGW_JWT_PUBLIC_KEY_FILE", dir.file(std::string(key) + ".pub")}});
        auto token = sign_token(claims, alg, read_file(dir.file(std::string(key) + ".pem")));
        WsClient good;
        EXPECT_TRUE(good.connect(gw.port(), "/ws?token=" + token)) << name << ": " << good.refused_body();
        WsClient hs;
        EXPECT_FALSE(hs.connect(gw.port(), "/ws?token=" + make_token("alice"))) << name;
        EXPECT_NE(hs.refused_body().find("alg_not_allowed"), std::string::npos) << name << ": " << hs.refused_body();
    }
}

// --- TLS -----------------------------------------------------------------------------------------

TEST_F(HardeningTest, ServesWssEndToEndAndReloadsTheCertificateOnSighupKeepingSockets) {
    TempDir dir;
    make_certificate(dir, "first.test");
    GatewayProcess gw(redis_->url(), {{"WSGW_TLS_CERT_FILE", dir.file("cert.pem")}, {"WSGW_TLS_KEY_FILE", dir.file("key.pem")}},
                      /*wait_ready=*/false, /*tls=*/true);
    std::string subject;
    ASSERT_EQ(https_get(gw.port(), "/healthz", &subject).status, 200);
    EXPECT_NE(subject.find("first.test"), std::string::npos) << subject;

    auto user = unique_user();
    WssClient c;
    ASSERT_TRUE(join(c, gw.port(), user));
    ASSERT_TRUE(eventually([&] { return https_get(gw.port(), "/readyz").status == 200; }));

    make_certificate(dir, "second.test");
    ::kill(gw.pid(), SIGHUP);
    EXPECT_TRUE(eventually([&] {
        std::string s;
        https_get(gw.port(), "/healthz", &s);
        return s.find("second.test") != std::string::npos;
    })) << "new connections must get the reloaded certificate";

    // A reload that cannot load its files keeps the certificate in use.
    std::ofstream(dir.file("cert.pem")) << "not a certificate";
    ::kill(gw.pid(), SIGHUP);
    EXPECT_TRUE(eventually([&] { return gw.log().find("\"event\":\"tls_reload_failed\"") != std::string::npos; }));
    std::string kept;
    EXPECT_EQ(https_get(gw.port(), "/healthz", &kept).status, 200);
    EXPECT_NE(kept.find("second.test"), std::string::npos) << "a failed reload must keep the old certificate: " << kept;

    ASSERT_GE(redis_->publish("user_noti:" + user, read_fixture("alert.in.json")), 1);
    auto got = c.next();
    ASSERT_TRUE(got) << "the socket opened before SIGHUP must keep working";
    EXPECT_EQ(json::parse(*got)["type"], "alert");
    EXPECT_NE(gw.log().find("\"event\":\"tls_reloaded\""), std::string::npos);
    EXPECT_EQ(gw.metric("wsgw_tls_reloads_total{result=\"ok\"}"), 1);
    EXPECT_EQ(gw.metric("wsgw_tls_reloads_total{result=\"failed\"}"), 1);
}

// TLS 1.2 offers only forward-secret AEAD suites; a client that knows only CBC or static RSA
// key exchange gets no connection.
TEST_F(HardeningTest, Tls12OffersOnlyForwardSecretAeadSuites) {
    TempDir dir;
    make_certificate(dir, "suites.test");
    GatewayProcess gw(redis_->url(), {{"WSGW_TLS_CERT_FILE", dir.file("cert.pem")}, {"WSGW_TLS_KEY_FILE", dir.file("key.pem")}},
                      /*wait_ready=*/false, /*tls=*/true);
    auto handshake = [&](const std::string& cipher) {
        return run_shell("openssl s_client -connect 127.0.0.1:" + std::to_string(gw.port()) + " -tls1_2 -cipher " + cipher +
                         " </dev/null >/dev/null 2>&1");
    };
    EXPECT_EQ(handshake("ECDHE-RSA-AES128-GCM-SHA256"), 0);
    EXPECT_EQ(handshake("ECDHE-RSA-CHACHA20-POLY1305"), 0);
    EXPECT_NE(handshake("AES128-SHA"), 0) << "static RSA key exchange, CBC";
    EXPECT_NE(handshake("ECDHE-RSA-AES128-SHA"), 0) << "CBC";
    EXPECT_NE(handshake("AES256-GCM-SHA384"), 0) << "no forward secrecy";
}

// --- Backpressure ----------------------------------------------------------------------------

TEST_F(HardeningTest, SlowReaderIsClosedAsSlowConsumerWithoutDelayingOthersOrGrowingMemory) {
    // A stalled peer never lets the close frame out; the close deadline (the handshake timeout)
    // then cuts the socket, so it is short here.
    GatewayProcess gw(redis_->url(), {{"WSGW_SEND_QUEUE_MAX_MESSAGES", "256"},
                                      {"WSGW_SEND_QUEUE_MAX_BYTES", "262144"},
                                      {"WSGW_HANDSHAKE_TIMEOUT_MS", "1000"}});
    auto slow_user = unique_user("slow");
    auto fast_user = unique_user("fast");
    WsClient slow, fast;
    slow.set_receive_buffer(4096);
    ASSERT_TRUE(join(slow, gw.port(), slow_user));
    ASSERT_TRUE(join(fast, gw.port(), fast_user));
    long rss_before = rss_kib(gw.pid());

    // 4000 x 8 KiB for the slow reader (32 MiB, far beyond its bounds); a probe for the fast
    // user every 100 messages, timed from publish to receipt.
    std::string filler = json{{"type", "notification"}, {"payload", {{"blob", std::string(8192, 'z')}}}}.dump();
    std::vector<double> latencies_ms;
    for (int i = 0; i < 4000; ++i) {
        ASSERT_GE(redis_->publish("user_noti:" + slow_user, filler), 1);
        if (i % 100 == 0) {
            auto t0 = std::chrono::steady_clock::now();
            ASSERT_GE(redis_->publish("user_noti:" + fast_user, read_fixture("alert.in.json")), 1);
            ASSERT_TRUE(fast.next(5s)) << "fast user starved at message " << i;
            latencies_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
    }
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_disconnects_total{reason=\"slow_consumer\"}") == 1; }, 15s))
        << "the slow reader was not disconnected";
    std::sort(latencies_ms.begin(), latencies_ms.end());
    double worst = latencies_ms.back();
    long rss_growth_kib = rss_kib(gw.pid()) - rss_before;
    RecordProperty("fast_user_worst_latency_ms", std::to_string(worst));
    RecordProperty("rss_growth_kib", std::to_string(rss_growth_kib));
    // Bounds are loose on purpose (sanitizer builds, a shared machine); an unbounded queue
    // would hold the 32 MiB, and a blocking writer would stall the fast user for seconds.
    EXPECT_LT(worst, 1000.0) << "a slow socket delayed another user's delivery";
#ifndef WSGW_SANITIZED  // ASan's quarantine keeps freed memory resident; RSS means nothing there
    EXPECT_LT(rss_growth_kib, 24 * 1024) << "memory grew with the slow reader's backlog";
#endif
    EXPECT_NE(gw.log().find("\"code\":4008"), std::string::npos) << "conn_close must carry 4008";
}

TEST_F(HardeningTest, SlowButAliveReaderGetsLatestProgressAndEveryCompletionThroughCoalescing) {
    GatewayProcess gw(redis_->url(), {{"WSGW_SEND_QUEUE_MAX_MESSAGES", "1024"}, {"WSGW_SEND_QUEUE_MAX_BYTES", "16777216"}});
    auto user = unique_user();
    WsClient c;
    c.set_receive_buffer(4096);
    ASSERT_TRUE(join(c, gw.port(), user));
    const int updates = 600;
    for (int i = 1; i <= updates; ++i) {
        ASSERT_GE(redis_->publish("user_noti:" + user, progress("p1", i, 16 * 1024)), 1);
        if (i % 100 == 0) {
            ASSERT_GE(redis_->publish("user_noti:" + user, completed("c" + std::to_string(i))), 1);
        }
    }
    // Only once the gateway has taken in every message does the client start reading (a slow
    // sanitizer build must not turn the backlog into a race).
    ASSERT_TRUE(eventually(
        [&] {
            return gw.metric("wsgw_messages_received_total{kind=\"user\",type=\"project_progress\",format=\"legacy\"}") ==
                   updates;
        },
        30s));
    int progress_seen = 0, last_done = 0;
    std::set<std::string> completions;
    while (auto m = c.next(1500ms)) {
        auto j = json::parse(*m);
        if (j["type"] == "project_progress") {
            ++progress_seen;
            int done = j["payload"]["done"];
            EXPECT_GT(done, last_done) << "progress went backwards";
            last_done = done;
        } else if (j["type"] == "project_completed") {
            completions.insert(j["payload"]["project_id"].get<std::string>());
        }
    }
    EXPECT_EQ(last_done, updates) << "the latest progress must arrive";
    EXPECT_EQ(completions.size(), 6u) << "no project_completed may be coalesced away";
    EXPECT_LT(progress_seen, updates) << "nothing was coalesced";
    EXPECT_GT(gw.metric("wsgw_deliveries_coalesced_total"), 0);
    EXPECT_FALSE(c.closed());
}

TEST_F(HardeningTest, TenThousandAbruptDisconnectsLeaveNoConnectionsOrMemoryBehind) {
    GatewayProcess gw(redis_->url(), {{"WSGW_MAX_CONNECTIONS_PER_ADDRESS", "100000"}, {"WSGW_MAX_CONNECTIONS_PER_USER", "100000"}});
    auto user = unique_user();
    {
        // Warm up allocator pools before the baseline.
        std::vector<std::unique_ptr<WsClient>> warm;
        for (int i = 0; i < 200; ++i) {
            warm.push_back(std::make_unique<WsClient>());
            ASSERT_TRUE(warm.back()->connect(gw.port(), "/ws?token=" + make_token(user)));
        }
    }
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_connections") == 0; }, 10s));
    long baseline = rss_kib(gw.pid());
    const int total = 10'000, batch = 250;
    int opened = 0;
    auto token = make_token(user);
    while (opened < total) {
        std::vector<std::unique_ptr<WsClient>> clients;
        for (int i = 0; i < batch; ++i, ++opened) {
            clients.push_back(std::make_unique<WsClient>());
            ASSERT_TRUE(clients.back()->connect(gw.port(), "/ws?token=" + token)) << "connect " << opened;
        }
        // Destroyed without a close frame: the TCP connection just goes away.
    }
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_connections") == 0; }, 20s))
        << "connection gauge stuck at " << gw.metric("wsgw_connections");
    EXPECT_GE(gw.metric("wsgw_connections_total"), total);
    long growth = rss_kib(gw.pid()) - baseline;
    RecordProperty("rss_growth_kib_after_10k_disconnects", std::to_string(growth));
#ifndef WSGW_SANITIZED  // ASan's quarantine keeps freed memory resident; RSS means nothing there
    EXPECT_LT(growth, 16 * 1024) << "RSS grew by " << growth << " KiB over 10k disconnects";
#endif
}

// --- Drain ---------------------------------------------------------------------------------------

TEST_F(HardeningTest, SigtermDrainsKeepsDeliveringDuringGraceThenClosesWith1001AndExitsZero) {
    GatewayProcess gw(redis_->url(), {{"WSGW_SHUTDOWN_GRACE_MS", "1500"}, {"WSGW_SHUTDOWN_TIMEOUT_MS", "3000"}});
    auto user = unique_user();
    WsClient c;
    ASSERT_TRUE(join(c, gw.port(), user));
    // A burst published right before the signal: none of it may be lost.
    for (int i = 1; i <= 50; ++i) ASSERT_GE(redis_->publish("user_noti:" + user, progress("p" + std::to_string(i), i)), 1);
    ::kill(gw.pid(), SIGTERM);
    EXPECT_TRUE(eventually([&] { return http_get(gw.port(), "/readyz").status == 503; }, 1s)) << "readyz must turn 503 at once";
    WsClient late;
    EXPECT_FALSE(late.connect(gw.port(), "/ws?token=" + make_token(unique_user())));
    EXPECT_EQ(late.refused_status(), 503) << "no new sockets while draining";
    ASSERT_GE(redis_->publish("user_noti:" + user, read_fixture("notification.in.json")), 1) << "still subscribed during grace";

    int progress_seen = 0;
    bool notification_seen = false;
    while (auto m = c.next(5s)) {
        auto j = json::parse(*m);
        if (j["type"] == "project_progress") ++progress_seen;
        if (j["type"] == "notification") notification_seen = true;
    }
    EXPECT_EQ(progress_seen, 50) << "messages published before the signal were lost";
    EXPECT_TRUE(notification_seen) << "delivery stopped during the grace period";
    EXPECT_EQ(c.close_code(), 1001);
    EXPECT_EQ(gw.stop(0), 0) << gw.log();
}

TEST_F(HardeningTest, ShutdownTimeoutEndsTheWaitForClientsThatNeverAnswerTheClose) {
    // The session's own close deadline is the handshake timeout (10 s by default): exiting well
    // before it shows that shutdown_timeout_ms cut the wait.
    GatewayProcess gw(redis_->url(), {{"WSGW_SHUTDOWN_TIMEOUT_MS", "500"}});
    RawWsClient silent;  // reads nothing and never answers the close frame
    ASSERT_EQ(silent.upgrade(gw.port(), "/ws?token=" + make_token(unique_user())), 101);
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_connections") == 1; }));
    auto t0 = std::chrono::steady_clock::now();
    ::kill(gw.pid(), SIGTERM);
    EXPECT_EQ(gw.stop(0, 5s), 0) << gw.log();
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(took, 4s) << "the shutdown waited for the session's own deadline instead";
    EXPECT_NE(gw.log().find("\"event\":\"shutdown_timeout\",\"connections\":1"), std::string::npos) << gw.log();
}

TEST_F(HardeningTest, SecondSignalExitsAtOnce) {
    GatewayProcess gw(redis_->url(), {{"WSGW_SHUTDOWN_GRACE_MS", "60000"}});
    ::kill(gw.pid(), SIGTERM);
    ASSERT_TRUE(eventually([&] { return http_get(gw.port(), "/readyz").status == 503; }, 2s));
    EXPECT_EQ(gw.stop(SIGTERM, 3s), 1);
}

}  // namespace
}  // namespace wsgw::test
