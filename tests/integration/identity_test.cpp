// Identity providers against the real binary: a JSON Web Key Set served over loopback by a small
// HTTP server the test runs (python3's http.server, serving a file the test rewrites and counting
// requests), keys added, removed and unreachable; audience and issuer; HS256 rotation; secrets
// read from files and reloaded on SIGHUP.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "../common/test_keys.hpp"
#include "gateway_process.hpp"
#include "process_util.hpp"
#include "redis_server.hpp"
#include "test_support.hpp"
#include "ws_client.hpp"
#include "wsgw/auth.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;
namespace keys = wsgw::test_keys;

// Serves one file at every path; appends a line to the request log per request; 404 while the
// file is missing. With a certificate and key as further arguments, serves https.
constexpr const char* kServerScript = R"(import http.server, ssl, sys
path, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(log, 'a') as f:
            f.write(self.path + '\n')
        try:
            with open(path, 'rb') as f:
                body = f.read()
        except OSError:
            self.send_response(404)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler)
if len(sys.argv) > 5:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[4], sys.argv[5])
    server.socket = tls.wrap_socket(server.socket, server_side=True)
server.serve_forever()
)";

void write_file(const std::string& path, const std::string& text) {
    // Written aside and renamed, so the server never reads half a document.
    std::ofstream(path + ".tmp", std::ios::binary) << text;
    ASSERT_EQ(::rename((path + ".tmp").c_str(), path.c_str()), 0) << path;
}

class JwksServer {
public:
    explicit JwksServer(const TempDir& dir) : dir_(dir), port_(free_port()) {
        std::ofstream(dir_.file("jwks_server.py")) << kServerScript;
    }
    ~JwksServer() { stop(); }

    // With `tls`, serves https with the certificate make_certificate() wrote into the directory.
    void start(bool tls = false) {
        std::vector<std::string> argv = {"python3", dir_.file("jwks_server.py"), document(), std::to_string(port_),
                                         dir_.file("requests.log")};
        if (tls) {
            argv.push_back(dir_.file("cert.pem"));
            argv.push_back(dir_.file("key.pem"));
        }
        tls_ = tls;
        pid_ = spawn(argv, {}, dir_.file("server.out"));
        if (!eventually([&] {
                int fd = connect_loopback(port_);
                if (fd < 0) return false;
                ::close(fd);
                return true;
            }, 10s))
            throw std::runtime_error("the JWKS server did not start: " + read_file(dir_.file("server.out")));
    }
    void stop() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            wait_exit(pid_, 5s);
            pid_ = -1;
        }
    }
    void serve(const std::string& text) { write_file(document(), text); }
    std::size_t requests() const { return count_of(read_file(dir_.file("requests.log")), "\n"); }
    std::string url() const {
        return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
               "/realms/test/protocol/openid-connect/certs";
    }
    std::string document() const { return dir_.file("jwks.json"); }

private:
    const TempDir& dir_;
    std::uint16_t port_;
    pid_t pid_ = -1;
    bool tls_ = false;
};

long long unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string signed_by(const keys::KeyPair& key, const std::string& user, json extra = json::object()) {
    json claims = {{"sub", user}, {"exp", unix_now() + 3600}};
    claims.update(extra);
    auto alg = key.jwk["kty"] == "EC" ? JwtAlgorithm::es256 : JwtAlgorithm::rs256;
    return sign_token(claims.dump(), alg, key.private_pem, key.kid);
}

// Whether an upgrade with `token` is accepted; otherwise `why` holds the status and body.
bool admitted(std::uint16_t port, const std::string& token, std::string* why = nullptr) {
    WsClient c;
    if (c.connect(port, "/ws?token=" + token)) return true;
    if (why) *why = std::to_string(c.refused_status()) + " " + c.refused_body();
    return false;
}

std::string refusal(std::uint16_t port, const std::string& token) {
    std::string why;
    if (admitted(port, token, &why)) return "admitted";
    return why;
}

// The JWKS tests share three keys, made once: RSA key generation takes a moment.
const keys::KeyPair& key_a() {
    static const auto k = keys::make_rsa("key-a");
    return k;
}
const keys::KeyPair& key_b() {
    static const auto k = keys::make_ec("key-b");
    return k;
}

std::map<std::string, std::string> jwks_env(const JwksServer& server, int refresh_s) {
    return {{"WSGW_JWT_SECRET", ""},
            {"WSGW_JWT_JWKS_URL", server.url()},
            {"WSGW_JWT_JWKS_REFRESH_S", std::to_string(refresh_s)}};
}

class JwksTest : public ::testing::Test {
protected:
    RedisServer redis_;
    TempDir dir_;
    JwksServer server_{dir_};
};

TEST_F(JwksTest, TheGatewayIsNotReadyUntilTheFirstFetchThenVerifiesByKid) {
    server_.serve(keys::jwks_of({&key_a()}));
    GatewayProcess gw(redis_.url(), jwks_env(server_, 1), /*wait_ready=*/false);

    auto probe = gw.get("/readyz");
    EXPECT_EQ(probe.status, 503);
    EXPECT_NE(probe.body.find(R"("jwks":"not_loaded")"), std::string::npos) << probe.body;
    std::string why;
    EXPECT_FALSE(admitted(gw.port(), signed_by(key_a(), unique_user("idp")), &why));
    EXPECT_NE(why.find("503"), std::string::npos) << why;
    EXPECT_NE(why.find(R"("error":"not_ready")"), std::string::npos) << why;
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_jwks_fetches_total{result=\"unreachable\"}") >= 1; }))
        << "a fetch from an endpoint that is not up yet counts as unreachable";

    server_.start();
    ASSERT_TRUE(eventually([&] { return gw.ready(); }, 10s)) << gw.get("/readyz").body;
    EXPECT_NE(gw.get("/readyz").body.find(R"("jwks":"loaded")"), std::string::npos);
    EXPECT_EQ(refusal(gw.port(), signed_by(key_a(), unique_user("idp"))), "admitted");
    EXPECT_EQ(gw.metric("wsgw_jwks_keys"), 1);
    EXPECT_GE(gw.metric("wsgw_jwks_fetches_total{result=\"ok\"}"), 1);
    EXPECT_NE(gw.log().find("\"event\":\"jwks_updated\""), std::string::npos);
}

TEST_F(JwksTest, AnRs256AndAnEs256KeyEachVerifyOnlyTokensNamingThem) {
    server_.serve(keys::jwks_of({&key_a(), &key_b()}));
    server_.start();
    GatewayProcess gw(redis_.url(), jwks_env(server_, 300));
    WsClient c;
    ASSERT_TRUE(c.connect(gw.port(), "/ws?token=" + signed_by(key_b(), unique_user("idp"))))
        << c.refused_status() << " " << c.refused_body();
    // key-b's private key signing under key-a's kid: the kid picks RS256, the token says ES256.
    auto swapped = sign_token(json{{"sub", "u1"}, {"exp", unix_now() + 60}}.dump(), JwtAlgorithm::es256,
                              key_b().private_pem, "key-a");
    EXPECT_NE(refusal(gw.port(), swapped).find("alg_not_allowed"), std::string::npos);
    EXPECT_NE(refusal(gw.port(), make_token("u1")).find("alg_not_allowed"), std::string::npos)
        << "an HS256 token is never accepted with a key set";
}

TEST_F(JwksTest, ANewKidIsFetchedOnDemandAndVerifiesOnTheNextTry) {
    server_.serve(keys::jwks_of({&key_a()}));
    server_.start();
    GatewayProcess gw(redis_.url(), jwks_env(server_, 300));
    ASSERT_EQ(server_.requests(), 1u);

    server_.serve(keys::jwks_of({&key_a(), &key_b()}));
    auto token = signed_by(key_b(), unique_user("idp"));
    EXPECT_NE(refusal(gw.port(), token).find("unknown_key"), std::string::npos)
        << "the token that names a kid the gateway has not fetched yet is refused";
    EXPECT_TRUE(eventually([&] { return admitted(gw.port(), token); }, 15s))
        << "an unknown kid brings a fetch forward (within the 5 s gap); log:\n" << gw.log();
    EXPECT_LE(server_.requests(), 3u) << "retries of one token must not cost one fetch each";
}

TEST_F(JwksTest, ANewKeyVerifiesAfterTheNextRefresh) {
    server_.serve(keys::jwks_of({&key_a()}));
    server_.start();
    GatewayProcess gw(redis_.url(), jwks_env(server_, 1));
    server_.serve(keys::jwks_of({&key_a(), &key_b()}));
    const auto seen = server_.requests();
    ASSERT_TRUE(eventually([&] { return server_.requests() >= seen + 2; }, 10s));
    EXPECT_EQ(refusal(gw.port(), signed_by(key_b(), unique_user("idp"))), "admitted");
    EXPECT_EQ(gw.metric("wsgw_jwks_keys"), 2);
}

TEST_F(JwksTest, ARemovedKeyStopsVerifyingAfterTheNextRefresh) {
    server_.serve(keys::jwks_of({&key_a(), &key_b()}));
    server_.start();
    GatewayProcess gw(redis_.url(), jwks_env(server_, 1));
    ASSERT_EQ(refusal(gw.port(), signed_by(key_b(), unique_user("idp"))), "admitted");

    server_.serve(keys::jwks_of({&key_a()}));
    const auto seen = server_.requests();
    ASSERT_TRUE(eventually([&] { return server_.requests() >= seen + 2; }, 10s));
    EXPECT_NE(refusal(gw.port(), signed_by(key_b(), unique_user("idp"))).find("unknown_key"), std::string::npos);
    EXPECT_EQ(refusal(gw.port(), signed_by(key_a(), unique_user("idp"))), "admitted");
    EXPECT_EQ(gw.metric("wsgw_jwks_keys"), 1);
}

TEST_F(JwksTest, GarbageAnOversizedAnswerAnErrorStatusOrAnEndpointThatIsDownKeepTheKeysAndReadiness) {
    server_.serve(keys::jwks_of({&key_a()}));
    server_.start();
    GatewayProcess gw(redis_.url(), jwks_env(server_, 1));

    server_.serve("<html>maintenance</html>");
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_jwks_fetches_total{result=\"invalid\"}") >= 1; }, 10s));
    EXPECT_TRUE(gw.ready());
    EXPECT_EQ(refusal(gw.port(), signed_by(key_a(), unique_user("idp"))), "admitted");

    server_.serve(std::string(1024 * 1024 + 1, ' ') + keys::jwks_of({&key_b()}));
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_jwks_fetches_total{result=\"too_large\"}") >= 1; }, 10s));
    ::unlink(server_.document().c_str());  // the server answers 404
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_jwks_fetches_total{result=\"bad_status\"}") >= 1; }, 10s));
    EXPECT_EQ(refusal(gw.port(), signed_by(key_a(), unique_user("idp"))), "admitted");

    server_.stop();
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_jwks_fetches_total{result=\"unreachable\"}") >= 1; }, 10s));
    EXPECT_TRUE(gw.ready()) << "keys already fetched keep the instance ready";
    EXPECT_EQ(refusal(gw.port(), signed_by(key_a(), unique_user("idp"))), "admitted");
    EXPECT_EQ(gw.metric("wsgw_jwks_keys"), 1);
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_jwks_age_seconds") >= 2; }, 10s))
        << "the age of the keys in use grows while fetches fail";
    auto log = gw.log();
    EXPECT_NE(log.find("\"event\":\"jwks_fetch_failed\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"keys_kept\":1"), std::string::npos) << log;
}

TEST_F(JwksTest, AStormOfUnknownKidsCostsTheProviderAtMostACoupleOfFetches) {
    server_.serve(keys::jwks_of({&key_a()}));
    server_.start();
    GatewayProcess gw(redis_.url(), jwks_env(server_, 300));
    ASSERT_EQ(server_.requests(), 1u);
    for (int i = 0; i < 200; ++i) {
        auto token = sign_token(json{{"sub", "storm"}, {"exp", unix_now() + 60}}.dump(), JwtAlgorithm::rs256,
                                key_a().private_pem, "made-up-" + std::to_string(i));
        ASSERT_NE(refusal(gw.port(), token).find("unknown_key"), std::string::npos) << i;
    }
    ::sleep(6);  // past the gap: a fetch the storm scheduled has happened
    EXPECT_LE(server_.requests(), 3u) << "200 unknown kids must not cost 200 fetches";
    EXPECT_GE(gw.metric("wsgw_auth_failures_total{reason=\"unknown_key\"}"), 200);
    EXPECT_TRUE(gw.ready());
}

TEST_F(JwksTest, SighupFetchesTheKeySetAtOnce) {
    server_.serve(keys::jwks_of({&key_a()}));
    server_.start();
    GatewayProcess gw(redis_.url(), jwks_env(server_, 300));
    server_.serve(keys::jwks_of({&key_a(), &key_b()}));
    ::sleep(5);  // past the unknown-kid gap, so only SIGHUP can explain the next fetch soon
    ASSERT_EQ(server_.requests(), 1u);
    ::kill(gw.pid(), SIGHUP);
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_jwks_keys") == 2; }, 5s)) << gw.log();
}

TEST_F(JwksTest, AnHttpsEndpointWithACertificateTheSystemDoesNotTrustIsRefused) {
    make_certificate(dir_, "127.0.0.1");  // self-signed: in no CA store
    server_.serve(keys::jwks_of({&key_a()}));
    server_.start(/*tls=*/true);
    GatewayProcess gw(redis_.url(), jwks_env(server_, 1), /*wait_ready=*/false);
    EXPECT_TRUE(eventually([&] { return gw.metric("wsgw_jwks_fetches_total{result=\"unreachable\"}") >= 2; }, 10s))
        << gw.log();
    EXPECT_FALSE(gw.ready()) << "keys from an endpoint whose certificate does not verify are never used";
    EXPECT_EQ(server_.requests(), 0u) << "no request is sent before the certificate has been verified";
    EXPECT_NE(gw.log().find("certificate verify failed"), std::string::npos) << gw.log();
}

// Audience, issuer and HS256 rotation ------------------------------------------------------------

class ClaimsTest : public ::testing::Test {
protected:
    RedisServer redis_;
};

std::string hs256(const json& extra, const std::string& secret = kSecret) {
    json claims = {{"sub", unique_user("aud")}, {"exp", unix_now() + 3600}};
    if (extra.is_object()) claims.update(extra);  // {} arrives as null: no extra claims
    return sign_hs256(claims.dump(), secret);
}

TEST_F(ClaimsTest, AudienceAndIssuerAreCheckedWhenConfigured) {
    GatewayProcess gw(redis_.url(), {{"WSGW_JWT_AUDIENCE", "ws-gateway"},
                                     {"WSGW_JWT_ISSUER", "https://id.example.com/realms/acme"}});
    const json good = {{"aud", json::array({"account", "ws-gateway"})}, {"iss", "https://id.example.com/realms/acme"}};
    EXPECT_EQ(refusal(gw.port(), hs256(good)), "admitted");
    EXPECT_EQ(refusal(gw.port(), hs256({{"aud", "ws-gateway"}, {"iss", "https://id.example.com/realms/acme"}})), "admitted");

    auto wrong_aud = refusal(gw.port(), hs256({{"aud", "account"}, {"iss", "https://id.example.com/realms/acme"}}));
    EXPECT_NE(wrong_aud.find("401"), std::string::npos) << wrong_aud;
    EXPECT_NE(wrong_aud.find("wrong_audience"), std::string::npos) << wrong_aud;
    EXPECT_NE(refusal(gw.port(), hs256({{"iss", "https://id.example.com/realms/acme"}})).find("wrong_audience"),
              std::string::npos);
    auto wrong_iss = refusal(gw.port(), hs256({{"aud", "ws-gateway"}, {"iss", "https://evil.example.com"}}));
    EXPECT_NE(wrong_iss.find("wrong_issuer"), std::string::npos) << wrong_iss;
    EXPECT_EQ(gw.metric("wsgw_auth_failures_total{reason=\"wrong_audience\"}"), 2);
    EXPECT_EQ(gw.metric("wsgw_auth_failures_total{reason=\"wrong_issuer\"}"), 1);
}

TEST_F(ClaimsTest, ThePreviousSecretIsAcceptedBesideTheCurrentOne) {
    GatewayProcess gw(redis_.url(), {{"WSGW_JWT_SECRET", "the-new-secret"}, {"WSGW_JWT_SECRET_PREVIOUS", kSecret}});
    EXPECT_EQ(refusal(gw.port(), hs256({}, kSecret)), "admitted") << "a token issued before the switch";
    EXPECT_EQ(refusal(gw.port(), hs256({}, "the-new-secret")), "admitted");
    EXPECT_NE(refusal(gw.port(), hs256({}, "another-secret")).find("bad_signature"), std::string::npos);
    auto log = gw.log();
    EXPECT_EQ(log.find("the-new-secret"), std::string::npos) << "secrets are never logged";
    EXPECT_EQ(log.find(kSecret), std::string::npos) << "secrets are never logged";
}

// Secrets from files --------------------------------------------------------------------------------

class SecretFileTest : public ::testing::Test {
protected:
    RedisServer redis_;
    TempDir dir_;
};

TEST_F(SecretFileTest, TheSecretIsReadFromAFileAndReloadedOnSighup) {
    write_file(dir_.file("jwt-secret"), "secret-one\n");
    GatewayProcess gw(redis_.url(), {{"WSGW_JWT_SECRET", ""}, {"WSGW_JWT_SECRET_FILE", dir_.file("jwt-secret")}});
    EXPECT_EQ(refusal(gw.port(), hs256({}, "secret-one")), "admitted") << "the trailing newline is not part of it";

    write_file(dir_.file("jwt-secret"), "secret-two\n");
    ::kill(gw.pid(), SIGHUP);
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_auth_reloads_total{result=\"ok\"}") == 1; })) << gw.log();
    EXPECT_EQ(refusal(gw.port(), hs256({}, "secret-two")), "admitted");
    EXPECT_NE(refusal(gw.port(), hs256({}, "secret-one")).find("bad_signature"), std::string::npos);

    // A file emptied (or being rewritten) must not lock everyone out: the old secret stays.
    write_file(dir_.file("jwt-secret"), "");
    ::kill(gw.pid(), SIGHUP);
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_auth_reloads_total{result=\"failed\"}") == 1; })) << gw.log();
    EXPECT_EQ(refusal(gw.port(), hs256({}, "secret-two")), "admitted");
    auto log = gw.log();
    EXPECT_NE(log.find("\"event\":\"auth_reload_failed\""), std::string::npos) << log;
    EXPECT_EQ(log.find("secret-two"), std::string::npos) << "the secret's content is never logged";
}

TEST_F(SecretFileTest, ThePreviousSecretFromAFileIsReloadedToo) {
    write_file(dir_.file("current"), "secret-two\n");
    write_file(dir_.file("previous"), "secret-one\n");
    GatewayProcess gw(redis_.url(), {{"WSGW_JWT_SECRET", ""},
                                     {"WSGW_JWT_SECRET_FILE", dir_.file("current")},
                                     {"WSGW_JWT_SECRET_PREVIOUS_FILE", dir_.file("previous")}});
    EXPECT_EQ(refusal(gw.port(), hs256({}, "secret-one")), "admitted");
    // The rotation's last step: the previous secret retired.
    write_file(dir_.file("previous"), "secret-retired-unknown\n");
    ::kill(gw.pid(), SIGHUP);
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_auth_reloads_total{result=\"ok\"}") == 1; })) << gw.log();
    EXPECT_NE(refusal(gw.port(), hs256({}, "secret-one")).find("bad_signature"), std::string::npos);
    EXPECT_EQ(refusal(gw.port(), hs256({}, "secret-two")), "admitted");
}

TEST_F(SecretFileTest, APublicKeyFileIsReloadedOnSighupAndABrokenOneKeepsTheOldKey) {
    static const auto first = keys::make_rsa("first");
    static const auto second = keys::make_rsa("second");
    write_file(dir_.file("jwt.pub"), keys::public_pem(first.private_pem));
    GatewayProcess gw(redis_.url(), {{"WSGW_JWT_SECRET", ""},
                                     {"WSGW_JWT_ALGORITHM", "RS256"},
                                     {"WSGW_JWT_PUBLIC_KEY_FILE", dir_.file("jwt.pub")}});
    auto token = [](const keys::KeyPair& k) {
        return sign_token(json{{"sub", unique_user("pk")}, {"exp", unix_now() + 600}}.dump(), JwtAlgorithm::rs256,
                          k.private_pem);
    };
    EXPECT_EQ(refusal(gw.port(), token(first)), "admitted");

    write_file(dir_.file("jwt.pub"), keys::public_pem(second.private_pem));
    ::kill(gw.pid(), SIGHUP);
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_auth_reloads_total{result=\"ok\"}") == 1; })) << gw.log();
    EXPECT_EQ(refusal(gw.port(), token(second)), "admitted");
    EXPECT_NE(refusal(gw.port(), token(first)).find("bad_signature"), std::string::npos);

    // Cut short mid-copy: it still has the PEM markers, but no key in it.
    write_file(dir_.file("jwt.pub"), "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----\n");
    ::kill(gw.pid(), SIGHUP);
    ASSERT_TRUE(eventually([&] { return gw.metric("wsgw_auth_reloads_total{result=\"failed\"}") == 1; })) << gw.log();
    EXPECT_EQ(refusal(gw.port(), token(second)), "admitted") << "the key in use stays";
    EXPECT_NE(gw.log().find("not a PEM public key"), std::string::npos) << gw.log();
}

TEST_F(SecretFileTest, TheRedisPasswordIsReadFromAFile) {
    redis_.require_password("redis-pw");
    write_file(dir_.file("redis-password"), "redis-pw\n");
    GatewayProcess gw(redis_.url(), {{"WSGW_REDIS_PASSWORD_FILE", dir_.file("redis-password")}});
    EXPECT_TRUE(gw.ready()) << "subscribed with the password from the file";
    EXPECT_EQ(gw.log().find("redis-pw"), std::string::npos) << "the password is never logged";
}

}  // namespace
}  // namespace wsgw::test
