#pragma once
// Small helpers shared by the integration suites.
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>
#include <string>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
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

// A frame as the resume tests read it: its type, id, payload, and the payload's "seq" (-1: none).
struct Got {
    int seq = -1;
    std::string id;
    std::string type;
    nlohmann::json payload;
};

// The next frame on `c`, or a Got with an empty type when none came in time.
inline Got next_message(WsClient& c, std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
    auto m = c.next(timeout);
    if (!m) return {};
    auto j = nlohmann::json::parse(*m);
    Got g;
    g.type = j.value("type", "");
    g.id = j.value("id", "");
    if (j.contains("payload")) g.payload = j["payload"];
    if (g.payload.is_object() && g.payload.contains("seq")) g.seq = g.payload["seq"].get<int>();
    return g;
}

// The seam test of both modes: while `publish(i)` sends notifications 1..total with {"seq": i}
// (it returns what went wrong, empty when the message went out), a client reads on the instance
// on `first_port` until `switch_after` have arrived, leaves, and comes back on `second_port` with
// the last id it saw.
struct ResumeRun {
    std::vector<int> seen;  // the seqs the client got, in order; a resync is a test failure
    std::size_t switched_after = 0;
    std::string switch_id;  // the last id read on the first instance
    std::vector<std::string> failed_publishes;
};

template <class Publish>
ResumeRun read_across_a_resume(std::uint16_t first_port, std::uint16_t second_port, const std::string& user, int total,
                               std::size_t switch_after, Publish publish) {
    using namespace std::chrono_literals;
    ResumeRun run;
    auto& seen = run.seen;
    WsClient first;
    if (!join(first, first_port, user)) {
        ADD_FAILURE() << "the first socket did not open";
        return run;
    }
    std::atomic<bool> stop{false};
    std::thread publisher([&] {
        for (int i = 1; i <= total && !stop; ++i) {
            if (auto error = publish(i); !error.empty())
                run.failed_publishes.push_back(std::to_string(i) + ": " + error);
            if (i % 50 == 0) std::this_thread::sleep_for(2ms);
        }
    });
    std::string last_id;
    // The seq of the next notification, -1 when none came in time.
    auto next = [&](WsClient& c) {
        auto m = c.next(5s);
        if (!m) return -1;
        auto j = nlohmann::json::parse(*m);
        if (j.value("type", "") != "notification") {
            ADD_FAILURE() << "a " << j.value("type", "") << " after message " << (seen.empty() ? 0 : seen.back())
                          << " (last id " << last_id << ")";
            return -1;
        }
        last_id = j.value("id", "");
        return j["payload"].value("seq", -1);
    };
    for (int seq; seen.size() < switch_after && (seq = next(first)) >= 0;) seen.push_back(seq);
    first.close();
    run.switched_after = seen.size();
    run.switch_id = last_id;
    WsClient second;
    if (second.connect(second_port, "/ws?token=" + make_token(user) + "&last_id=" + last_id))
        for (int seq; seen.size() < static_cast<std::size_t>(total) && (seq = next(second)) >= 0;) seen.push_back(seq);
    else
        ADD_FAILURE() << "the resuming socket did not open";
    stop = true;
    publisher.join();
    return run;
}

// How `seen` differs from first..last, each once and in order: the numbers missing (as ranges),
// seen twice, out of order or never published, a line each; empty when it does not.
inline std::string sequence_faults(const std::vector<int>& seen, int first, int last) {
    std::ostringstream out;
    std::vector<int> count(static_cast<std::size_t>(last - first + 1), 0);
    const auto counted = [&](int seq) -> int& { return count[static_cast<std::size_t>(seq - first)]; };
    for (std::size_t at = 0; at < seen.size(); ++at) {
        const int seq = seen[at];
        if (seq < first || seq > last) {
            out << "\n  seq " << seq << " at position " << at << " was never published";
            continue;
        }
        if (++counted(seq) == 2) out << "\n  seq " << seq << " twice (again at position " << at << ")";
        if (at > 0 && seq < seen[at - 1]) out << "\n  seq " << seq << " after " << seen[at - 1] << " at position " << at;
    }
    for (int seq = first; seq <= last; ++seq) {
        if (counted(seq)) continue;
        int end = seq;
        while (end < last && !counted(end + 1)) ++end;
        out << "\n  missing " << seq << (end > seq ? ".." + std::to_string(end) : "");
        seq = end;
    }
    return out.str();
}

// Whether `run` got each of 1..total once, in order; if not, what was missing, doubled or out of
// order, and where the client switched instances.
inline ::testing::AssertionResult every_message_once(const ResumeRun& run, int total) {
    const auto faults = sequence_faults(run.seen, 1, total);
    if (faults.empty() && run.failed_publishes.empty()) return ::testing::AssertionSuccess();
    auto failure = ::testing::AssertionFailure();
    failure << run.seen.size() << " messages of " << total << ", the first " << run.switched_after
            << " on the first instance (the last of them " << run.switch_id << ")";
    for (const auto& f : run.failed_publishes) failure << "\n  publish " << f;
    return failure << faults;
}

// Every sample of wsgw_messages_received_total on `gw`, summed over its labels.
inline long long messages_received(const GatewayProcess& gw) {
    const auto body = gw.get("/metrics").body;
    long long sum = 0;
    for (std::size_t at = 0; (at = body.find("\nwsgw_messages_received_total{", at)) != std::string::npos;) {
        const auto end = body.find('\n', at + 1);
        const auto line = body.substr(at + 1, end - at - 1);
        sum += std::stoll(line.substr(line.rfind(' ') + 1));
        at = end;
    }
    return sum;
}

}  // namespace wsgw::test
