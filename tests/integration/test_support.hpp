#pragma once
// Small helpers shared by the integration suites.
#include <unistd.h>

#include <atomic>
#include <string>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "gateway_process.hpp"
#include "process_util.hpp"
#include "redis_server.hpp"
#include "ws_client.hpp"

namespace wsgw::test {

inline std::string unique_user(const char* prefix = "u") {
    static std::atomic<int> n{0};
    return std::string(prefix) + std::to_string(::getpid()) + "x" + std::to_string(++n);
}

// How many times `what` occurs in `text` (log events in a gateway's log, for instance).
inline std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

inline std::string read_fixture(const std::string& name) {
    auto text = read_file(std::string(WSGW_FIXTURES_DIR) + "/spec/" + name);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

// Connects `c` as `user` and proves the gateway registered the socket: registration precedes
// the first read, so the pong to a ping means a publish from now on cannot race it.
template <class Client>
::testing::AssertionResult join(Client& c, std::uint16_t port, const std::string& user,
                                const std::map<std::string, std::string>& headers = {}, const std::string& query = "") {
    if (!c.connect(port, "/ws?token=" + make_token(user) + query, headers))
        return ::testing::AssertionFailure() << "upgrade refused: HTTP " << c.refused_status() << " " << c.refused_body();
    c.send_text(R"({"type":"ping"})");
    auto pong = c.next();
    if (!pong || nlohmann::json::parse(*pong)["type"] != "pong") return ::testing::AssertionFailure() << "no pong";
    return ::testing::AssertionSuccess();
}

// Proves the gateway on `port` has fanned out everything `redis` sent it so far: Redis delivers
// to the subscriber in order, so once a marker published after those messages reaches a socket
// there, they have been handed to every I/O thread, ahead of any socket that connects later.
inline ::testing::AssertionResult marker_passed(const RedisServer& redis, std::uint16_t port,
                                                std::chrono::milliseconds within = std::chrono::seconds(10)) {
    WsClient marker;
    const auto user = unique_user("marker");
    if (auto joined = join(marker, port, user); !joined) return joined;
    if (redis.publish("user_noti:" + user, R"({"type":"notification","payload":{"marker":true}})") < 1)
        return ::testing::AssertionFailure() << "the marker reached no subscriber";
    if (!marker.next(within)) return ::testing::AssertionFailure() << "the marker never arrived";
    return ::testing::AssertionSuccess();
}

// A legacy project_progress for `project` with `done` items (and `padding` filler bytes).
inline std::string progress(const std::string& project, int done, std::size_t padding = 0) {
    nlohmann::json p = {{"project_id", project}, {"status", "CRAWLING"}, {"total", 100000},
                        {"done", done},          {"errors", 0},          {"progress_percent", std::min(done, 100)}};
    if (padding) p["note"] = std::string(padding, 'x');
    return nlohmann::json{{"type", "project_progress"}, {"payload", p}}.dump();
}

inline std::string completed(const std::string& project) {
    return nlohmann::json{{"type", "project_completed"},
                          {"payload",
                           {{"project_id", project}, {"status", "COMPLETED"}, {"total", 1}, {"done", 1}, {"errors", 0},
                            {"progress_percent", 100}}}}
        .dump();
}

// Runs a shell command (openssl and the like); returns its exit status.
int run_shell(const std::string& command);

// A fresh temporary directory, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Writes a self-signed certificate for CN=`common_name` and its key as cert.pem / key.pem.
void make_certificate(const TempDir& dir, const std::string& common_name);

// Resident set size of a process in KiB (0 when unknown).
long rss_kib(pid_t pid);

}  // namespace wsgw::test
