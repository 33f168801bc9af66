// The deployment topology without Docker: nginx (docker/nginx.conf, the operators' example)
// terminating TLS on loopback in front of two ws-gateway processes and one redis-server.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "gateway_process.hpp"
#include "redis_server.hpp"
#include "test_support.hpp"
#include "ws_client.hpp"

namespace wsgw::test {
namespace {

using json = nlohmann::json;

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
        text.replace(pos, from.size(), to);
    return text;
}

// nginx on a free port, running docker/nginx.conf with loopback addresses and test paths.
class Nginx {
public:
    Nginx(const TempDir& dir, std::uint16_t upstream1, std::uint16_t upstream2) : port_(free_port()) {
        auto conf = read_file(std::string(WSGW_SOURCE_DIR) + "/docker/nginx.conf");
        if (conf.empty()) throw std::runtime_error("docker/nginx.conf not found");
        conf = replace_all(conf, "server gateway1:8080", "server 127.0.0.1:" + std::to_string(upstream1));
        conf = replace_all(conf, "server gateway2:8080", "server 127.0.0.1:" + std::to_string(upstream2));
        conf = replace_all(conf, "listen 443 ssl;", "listen 127.0.0.1:" + std::to_string(port_) + " ssl;");
        conf = replace_all(conf, "/etc/nginx/certs/tls.crt", dir.file("cert.pem"));
        conf = replace_all(conf, "/etc/nginx/certs/tls.key", dir.file("key.pem"));
        conf = replace_all(conf, "/var/log/nginx/access.log", dir.file("access.log"));
        conf = replace_all(conf, "worker_processes auto;", "worker_processes 1;\npid " + dir.file("nginx.pid") +
                                                               ";\nerror_log " + dir.file("nginx-error.log") + " warn;");
        conf = replace_all(conf, "http {", "http {\n    client_body_temp_path " + dir.file("body") +
                                               ";\n    proxy_temp_path " + dir.file("proxy") + ";");
        ::chmod(dir.path().c_str(), 0755);  // workers run unprivileged when started as root
        std::ofstream(dir.file("nginx.conf")) << conf;
        pid_ = spawn({"nginx", "-p", dir.path(), "-c", dir.file("nginx.conf"), "-g", "daemon off;"}, {},
                     dir.file("nginx-stdout.log"));
        if (!eventually([&] { return https_get(port_, "/healthz").status == 200; }, 10s))
            throw std::runtime_error("nginx did not come up:\n" + read_file(dir.file("nginx-error.log")) +
                                     read_file(dir.file("nginx-stdout.log")));
    }
    ~Nginx() {
        ::kill(pid_, SIGQUIT);
        if (wait_exit(pid_, 5s) == -1) {
            ::kill(pid_, SIGKILL);
            wait_exit(pid_, 5s);
        }
    }
    std::uint16_t port() const { return port_; }

private:
    std::uint16_t port_;
    pid_t pid_;
};

TEST(DeployTest, NginxWithTlsInFrontOfTwoInstancesDeliversExactlyAndSurvivesADrain) {
    TempDir dir;
    make_certificate(dir, "localhost");
    RedisServer redis;
    std::map<std::string, std::string> env = {{"WSGW_TRUSTED_PROXIES", "127.0.0.1"},
                                              {"WSGW_SHUTDOWN_GRACE_MS", "300"},
                                              {"WSGW_SHUTDOWN_TIMEOUT_MS", "3000"}};
    auto gw1 = std::make_unique<GatewayProcess>(redis.url(), env);
    GatewayProcess gw2(redis.url(), env);
    Nginx nginx(dir, gw1->port(), gw2.port());

    // Eight sockets, two per user, through nginx over wss.
    std::vector<std::string> users;
    for (int i = 0; i < 4; ++i) users.push_back(unique_user("dep"));
    std::vector<std::unique_ptr<WssClient>> clients;
    for (int i = 0; i < 8; ++i) {
        clients.push_back(std::make_unique<WssClient>());
        ASSERT_TRUE(join(*clients.back(), nginx.port(), users[i % 4]));
    }
    ASSERT_TRUE(eventually([&] { return gw1->metric("wsgw_connections") + gw2.metric("wsgw_connections") == 8; }));
    EXPECT_GT(gw1->metric("wsgw_connections"), 0) << "nginx sent nothing to instance 1";
    EXPECT_GT(gw2.metric("wsgw_connections"), 0) << "nginx sent nothing to instance 2";
    // The shipped config keeps tokens out of its access log and metrics off the internet.
    EXPECT_EQ(https_get(nginx.port(), "/metrics").status, 404);
    EXPECT_EQ(https_get(nginx.port(), "/ws?token=query-token-must-not-be-logged").status, 426);
    EXPECT_TRUE(eventually([&] { return read_file(dir.file("access.log")).find("GET /ws ") != std::string::npos; }))
        << read_file(dir.file("access.log"));
    EXPECT_EQ(read_file(dir.file("access.log")).find("query-token-must-not-be-logged"), std::string::npos)
        << read_file(dir.file("access.log"));

    // Every user receives exactly its own message, on both of its sockets.
    for (int i = 0; i < 4; ++i) {
        auto note = json{{"type", "notification"}, {"payload", {{"to", users[i]}}}}.dump();
        ASSERT_GE(redis.publish("user_noti:" + users[i], note), 2) << "both instances must be subscribed";
    }
    for (int i = 0; i < 8; ++i) {
        auto m = clients[i]->next();
        ASSERT_TRUE(m) << "socket " << i << " received nothing";
        EXPECT_EQ(json::parse(*m)["payload"]["to"], users[i % 4]);
        EXPECT_TRUE(clients[i]->silent_for(100ms)) << "socket " << i << " received another user's message";
    }

    // Latest progress for every user, then drain instance 1.
    for (int i = 0; i < 4; ++i) ASSERT_GE(redis.publish("user_noti:" + users[i], progress("p1", 40 + i)), 2);
    for (auto& c : clients) ASSERT_TRUE(c->next());
    ::kill(gw1->pid(), SIGTERM);
    int moved = 0;
    for (int i = 0; i < 8; ++i) {
        auto& c = clients[i];
        if (c->silent_for(1500ms)) continue;  // on instance 2: stays open
        ASSERT_TRUE(c->closed());
        EXPECT_EQ(c->close_code(), 1001) << "a drained socket must get 1001";
        // The client reconnects through nginx and lands on the remaining instance.
        c = std::make_unique<WssClient>();
        ASSERT_TRUE(c->connect(nginx.port(), "/ws?token=" + make_token(users[i % 4])));  // replay comes first
        auto replayed = c->next();
        ASSERT_TRUE(replayed) << "no replayed progress after reconnecting";
        EXPECT_EQ(json::parse(*replayed)["payload"]["done"], 40 + i % 4) << "the latest progress must be replayed";
        ++moved;
    }
    EXPECT_GT(moved, 0) << "no socket was on the drained instance";
    EXPECT_EQ(gw1->stop(0), 0) << "the drained instance must exit 0";
    ASSERT_TRUE(eventually([&] { return gw2.metric("wsgw_connections") == 8; }));

    // Live traffic reaches every socket through the remaining instance.
    for (int i = 0; i < 4; ++i)
        ASSERT_GE(redis.publish("user_noti:" + users[i], read_fixture("alert.in.json")), 1);
    for (auto& c : clients) {
        auto m = c->next();
        ASSERT_TRUE(m);
        EXPECT_EQ(json::parse(*m)["type"], "alert");
    }
}

// A rolling restart through nginx while messages flow: 50 sockets of one user over both
// instances, 1000 numbered notifications at about 200/s, one instance drained mid-stream. Its
// sockets reconnect through nginx with the id of the last message they got, and every socket
// ends with exactly 1..1000, in order, none twice.
TEST(DeployTest, RollingRestartThroughNginxLosesAndDoublesNothing) {
    TempDir dir;
    make_certificate(dir, "localhost");
    RedisServer redis;
    std::map<std::string, std::string> env = {{"WSGW_TRUSTED_PROXIES", "127.0.0.1"},
                                              {"WSGW_SHUTDOWN_GRACE_MS", "300"},
                                              {"WSGW_SHUTDOWN_TIMEOUT_MS", "3000"},
                                              {"WSGW_MAX_CONNECTIONS_PER_USER", "100"},
                                              // The window must reach back to the last message of
                                              // the slowest socket to reconnect: all 50 belong to one
                                              // user, and this test's one thread makes the 25 TLS
                                              // reconnects one after another (about 7 s for the last
                                              // under the sanitizers, over 1000 messages at 200/s),
                                              // so the default 256 per user would not.
                                              {"WSGW_RESUME_MAX_MESSAGES_PER_USER", "2000"}};
    auto gw1 = std::make_unique<GatewayProcess>(redis.url(), env);
    GatewayProcess gw2(redis.url(), env);
    Nginx nginx(dir, gw1->port(), gw2.port());

    constexpr int kClients = 50, kMessages = 1000;
    const auto user = unique_user("roll");
    struct Client {
        std::unique_ptr<WssClient> ws;
        std::vector<int> seen;
        std::string last_id;
        std::chrono::steady_clock::time_point closed_at;
        bool reconnecting = false;
    };
    std::vector<Client> clients(kClients);
    for (auto& c : clients) {
        c.ws = std::make_unique<WssClient>();
        ASSERT_TRUE(join(*c.ws, nginx.port(), user));
    }
    ASSERT_TRUE(eventually([&] { return gw1->metric("wsgw_connections") + gw2.metric("wsgw_connections") == kClients; }));
    const auto on_gw1 = gw1->metric("wsgw_connections");
    ASSERT_GT(on_gw1, 0);
    ASSERT_GT(gw2.metric("wsgw_connections"), 0);

    std::atomic<bool> drained{false};
    std::thread publisher([&] {
        auto start = std::chrono::steady_clock::now();
        for (int i = 1; i <= kMessages; ++i) {
            redis.publish("user_noti:" + user, json{{"type", "notification"}, {"payload", {{"seq", i}}}}.dump());
            if (i == kMessages / 2) {
                ::kill(gw1->pid(), SIGTERM);
                drained = true;
            }
            std::this_thread::sleep_until(start + std::chrono::microseconds(5000LL * i));  // 200/s
        }
    });

    std::vector<double> gaps_ms;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    auto done = [&] {
        for (const auto& c : clients)
            if (c.seen.size() < static_cast<std::size_t>(kMessages)) return false;
        return true;
    };
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        for (auto& c : clients) {
            // Read what is there; a socket closed by the drain reconnects with its last id.
            while (auto m = c.ws->next(2ms)) {
                auto j = json::parse(*m);
                if (j["type"] != "notification") continue;
                if (c.reconnecting) {
                    gaps_ms.push_back(
                        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c.closed_at).count());
                    c.reconnecting = false;
                }
                c.seen.push_back(j["payload"]["seq"].get<int>());
                c.last_id = j["id"].get<std::string>();
            }
            if (c.ws->closed()) {
                ASSERT_EQ(c.ws->close_code(), 1001) << "only the drain closes sockets here";
                c.closed_at = std::chrono::steady_clock::now();
                c.reconnecting = true;
                c.ws = std::make_unique<WssClient>();
                ASSERT_TRUE(c.ws->connect(nginx.port(), "/ws?token=" + make_token(user) + "&last_id=" + c.last_id))
                    << "reconnect refused: HTTP " << c.ws->refused_status() << " " << c.ws->refused_body();
            }
        }
    }
    publisher.join();
    ASSERT_TRUE(drained);
    int moved = 0;
    for (std::size_t k = 0; k < clients.size(); ++k) {
        const auto& seen = clients[k].seen;
        ASSERT_EQ(seen.size(), static_cast<std::size_t>(kMessages)) << "client " << k << " ended at "
                                                                    << (seen.empty() ? 0 : seen.back());
        for (int i = 0; i < kMessages; ++i)
            ASSERT_EQ(seen[static_cast<std::size_t>(i)], i + 1) << "client " << k << ", position " << i;
    }
    moved = static_cast<int>(gaps_ms.size());
    EXPECT_EQ(moved, on_gw1) << "every socket of the drained instance reconnected and resumed";
    EXPECT_EQ(gw1->stop(0), 0);
    EXPECT_EQ(gw2.metric("wsgw_resume_requests_total{outcome=\"hit\"}"), on_gw1);
    std::sort(gaps_ms.begin(), gaps_ms.end());
    if (!gaps_ms.empty()) {
        RecordProperty("resumed_sockets", std::to_string(moved));
        RecordProperty("close_to_first_resumed_ms_median", std::to_string(gaps_ms[gaps_ms.size() / 2]));
        RecordProperty("close_to_first_resumed_ms_max", std::to_string(gaps_ms.back()));
        // The gap includes this test's own round-robin over 50 sockets and the TLS reconnects,
        // made one after another.
        std::printf("rolling restart: %d sockets resumed %lld messages; close -> first message after reconnect: "
                    "median %.1f ms, max %.1f ms\n",
                    moved, gw2.metric("wsgw_resumed_messages_total"), gaps_ms[gaps_ms.size() / 2], gaps_ms.back());
    }
}

}  // namespace
}  // namespace wsgw::test

namespace wsgw::test {
namespace {

// What an init container or a CI job runs before a rollout: the binary validates the whole
// configuration and says so with its exit code, without binding anything or reaching Redis.
TEST(DeployTest, CheckConfigPrintsTheEffectiveSettingsRedactedAndExitsZeroOrTwo) {
    TempDir dir;
    make_certificate(dir, "check.test");
    const std::string bin = WSGW_GATEWAY_BIN;
    const std::string out = dir.file("out.txt"), err = dir.file("err.txt");
    const std::string secret = "check-config-secret-never-printed";
    EXPECT_EQ(run_shell("WSGW_JWT_SECRET=" + secret + " WSGW_REDIS_URL=redis://:redis-pass-never-printed@10.9.8.7:6390/0 " +
                        bin + " --check-config --max-connections 77 --tls-cert-file " + dir.file("cert.pem") +
                        " --tls-key-file " + dir.file("key.pem") + " >" + out + " 2>" + err),
              0)
        << read_file(err);
    auto printed = read_file(out);
    EXPECT_NE(printed.find("max_connections = 77\n"), std::string::npos) << printed;
    EXPECT_NE(printed.find("jwt_secret = (set)\n"), std::string::npos) << printed;
    EXPECT_EQ(printed.find(secret), std::string::npos) << "the secret was printed";
    EXPECT_EQ(printed.find("redis-pass-never-printed"), std::string::npos) << "the Redis password was printed";
    EXPECT_NE(printed.find("# configuration is valid"), std::string::npos);

    EXPECT_EQ(run_shell("WSGW_JWT_SECRET=s " + bin + " --check-config --max-connections lots >" + out + " 2>" + err), 2 << 8)
        << "a bad value";
    EXPECT_NE(read_file(err).find("max-connections"), std::string::npos) << read_file(err);
    std::ofstream(dir.file("cert.pem")) << "not a certificate";
    EXPECT_EQ(run_shell("WSGW_JWT_SECRET=s " + bin + " --check-config --tls-cert-file " + dir.file("cert.pem") +
                        " --tls-key-file " + dir.file("key.pem") + " >" + out + " 2>" + err),
              2 << 8)
        << "an unreadable certificate";
    EXPECT_NE(read_file(err).find("tls_cert_file"), std::string::npos) << read_file(err);
}

}  // namespace
}  // namespace wsgw::test
