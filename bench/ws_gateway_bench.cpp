// ws-gateway-bench: load generator for ws-gateway and peers speaking the same protocol.
//
// Modes
//   fanout     C sockets over U users; M messages at rate R (0: as fast as pipelining allows)
//              to user_noti:{user} or project:{project}:{user}
//   broadcast  C sockets of one user; M messages
//   idle       C idle authenticated sockets: connect rate, gateway CPU per connect, RSS per socket
//   churn      connect and abruptly drop C sockets of U users in batches; gateway RSS before and after
//   publish    no sockets: M messages at rate R to U users (nobody's, unless some gateway holds
//              them), for measuring what traffic of users held elsewhere costs a gateway
//
// Publishing (fanout, broadcast, publish): --publish publish sends PUBLISH <channel> <message>,
// as a backend does for gateways in patterns mode; --publish fcall sends FCALL wsgw_publish 1
// <user> <channel> <message>, as for sharded mode. With --cluster-nodes, FCALL goes to the
// primary owning the user's slot (read once from CLUSTER NODES), one pipelined connection each;
// PUBLISH, which any node spreads to the whole cluster, then takes the primaries in turn.
//
// Sockets are spread over source addresses 127.0.0.1-127.0.0.N against port exhaustion. Every
// socket proves its registration with a ping/pong before measuring. Each message carries its
// send time; the receive side finds it without parsing JSON, so the generator costs less per
// message than the gateway does per delivery. One JSON line per run on stdout.
#include <hiredis/hiredis.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "histogram.hpp"
#include "tcp_bytes.hpp"
#include "wsgw/auth.hpp"
#include "wsgw/cluster_topology.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct Options {
    std::string mode = "fanout";
    std::string label = "ws-gateway";
    std::string host = "127.0.0.1";
    unsigned port = 8080;
    unsigned redis_port = 6379;
    std::string secret;
    unsigned connections = 2000;
    unsigned users = 1000;
    unsigned messages = 50'000;
    unsigned rate = 0;
    std::string channel = "user";
    int gateway_pid = 0;
    unsigned sources = 8;
    unsigned batch = 500;
    unsigned connect_parallel = 256;
    bool deflate = false;         // offer permessage-deflate, as browsers do
    unsigned payload_bytes = 0;   // pad each message to about this many bytes of JSON
    std::string publish_command = "publish";  // publish | fcall
    std::string cluster_nodes;                // host:port,... : route each FCALL by the user's slot
};

bool deflate_offered = false;  // set by --deflate before any socket opens

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

// CPU time of every thread of a process, in seconds (from /proc/PID/task/*/schedstat: ns).
double process_cpu_seconds(int pid) {
    if (pid <= 0) return 0;
    std::string dir = "/proc/" + std::to_string(pid) + "/task";
    double total = 0;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            std::ifstream in(dir + "/" + e->d_name + "/schedstat");
            double ns = 0;
            if (in >> ns) total += ns / 1e9;
        }
        closedir(d);
    }
    return total;
}

long process_rss_kib(int pid) {
    if (pid <= 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return 0;
}

double self_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Users are <prefix><n>; several generators take disjoint prefixes. Set by --user-prefix before
// any thread starts.
std::string user_prefix = "bench-u";
std::string user_name(unsigned u) { return user_prefix + std::to_string(u); }
std::string project_name(unsigned u) { return "bp" + std::to_string(u % 7); }

struct Stats {
    std::uint64_t received = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t registered = 0;
    std::uint64_t connect_failures = 0;
    std::map<std::string, std::uint64_t> read_errors;  // sockets that stopped reading, by error
    wsgw::bench::Histogram latency;
};

class Conn : public std::enable_shared_from_this<Conn> {
public:
    Conn(asio::io_context& ioc, Stats& stats, unsigned user) : ws_(ioc), stats_(stats), user_(user) {}

    void start(const tcp::endpoint& target, const asio::ip::address& source, const std::string& path,
               std::function<void(bool)> on_ready) {
        on_ready_ = std::move(on_ready);
        auto& sock = beast::get_lowest_layer(ws_).socket();
        beast::error_code ec;
        sock.open(tcp::v4(), ec);
        sock.set_option(asio::socket_base::reuse_address(true), ec);
        sock.bind(tcp::endpoint(source, 0), ec);
        if (ec) return ready(false);
        beast::get_lowest_layer(ws_).expires_after(30s);
        beast::get_lowest_layer(ws_).async_connect(target, [self = shared_from_this(), path](beast::error_code e) {
            if (e) return self->ready(false);
            if (deflate_offered) {
                websocket::permessage_deflate pmd;
                pmd.client_enable = true;
                self->ws_.set_option(pmd);
            }
            self->ws_.async_handshake("127.0.0.1", path, [self](beast::error_code e2) {
                if (e2) return self->ready(false);
                beast::get_lowest_layer(self->ws_).expires_never();
                self->ws_.read_message_max(1 << 20);
                self->ws_.text(true);
                self->ws_.async_write(asio::buffer(std::string_view(R"({"type":"ping"})")),
                                      [self](beast::error_code e3, std::size_t) {
                                          if (e3) return self->ready(false);
                                          self->read();
                                      });
            });
        });
    }

    // TCP payload bytes this socket has received (TCP_INFO): frames as they crossed the wire.
    std::uint64_t wire_bytes_received() {
        return wsgw::bench::tcp_bytes_received(beast::get_lowest_layer(ws_).socket().native_handle());
    }

    void close_abruptly() {
        beast::error_code ec;
        beast::get_lowest_layer(ws_).socket().close(ec);
    }

private:
    void ready(bool ok) {
        if (on_ready_) {
            auto f = std::move(on_ready_);
            on_ready_ = nullptr;
            f(ok);
        }
    }

    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                if (self->registered_) ++self->stats_.read_errors[ec.message()];
                return self->ready(false);
            }
            self->on_message();
            self->buffer_.consume(self->buffer_.size());
            self->read();
        });
    }

    void on_message() {
        auto data = buffer_.cdata();
        std::string_view text(static_cast<const char*>(data.data()), data.size());
        if (!registered_) {
            // The first frame answers our ping: the gateway has registered this socket.
            registered_ = true;
            ++stats_.registered;
            return ready(true);
        }
        auto t = text.find("\"t\":");
        auto s = text.find("\"seq\":");
        if (t == std::string_view::npos || s == std::string_view::npos) return;
        std::uint64_t sent = 0, seq = 0;
        std::from_chars(text.data() + t + 4, text.data() + text.size(), sent);
        std::from_chars(text.data() + s + 6, text.data() + text.size(), seq);
        auto now = now_ns();
        stats_.latency.record(now > sent ? now - sent : 0);
        ++stats_.received;
        if (have_seq_ && seq <= last_seq_) ++stats_.duplicates;
        have_seq_ = true;
        last_seq_ = seq;
    }

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    Stats& stats_;
    unsigned user_;
    bool registered_ = false;
    bool have_seq_ = false;
    std::uint64_t last_seq_ = 0;
    std::function<void(bool)> on_ready_;
};

// Opens `count` sockets (user of socket i: (first + i) % users), at most `parallel` handshakes at
// a time; returns when every socket is registered or failed.
std::vector<std::shared_ptr<Conn>> open_sockets(asio::io_context& ioc, const Options& o, Stats& stats, unsigned count,
                                                unsigned users, const std::vector<std::string>& tokens, unsigned first = 0) {
    std::vector<std::shared_ptr<Conn>> conns;
    conns.reserve(count);
    tcp::endpoint target(asio::ip::make_address(o.host), static_cast<unsigned short>(o.port));
    unsigned started = 0, done = 0, in_flight = 0;
    std::function<void()> pump = [&] {
        while (in_flight < o.connect_parallel && started < count) {
            unsigned i = started++;
            ++in_flight;
            auto source = asio::ip::make_address_v4(0x7F000001u + (i % std::max(1u, o.sources)));
            auto c = std::make_shared<Conn>(ioc, stats, (first + i) % users);
            conns.push_back(c);
            c->start(target, source, "/ws?token=" + tokens[(first + i) % users], [&](bool ok) {
                --in_flight;
                ++done;
                if (!ok) ++stats.connect_failures;
                pump();
            });
        }
    };
    pump();
    while (done < count) ioc.run_one_for(1s);
    return conns;
}

std::vector<std::string> make_tokens(const Options& o, unsigned users) {
    std::vector<std::string> tokens;
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (unsigned u = 0; u < users; ++u)
        tokens.push_back(wsgw::sign_hs256(nlohmann::json{{"sub", user_name(u)}, {"exp", now + 86400}}.dump(), o.secret));
    return tokens;
}

[[noreturn]] void redis_failed(const std::string& what) {
    std::fprintf(stderr, "ws-gateway-bench: %s\n", what.c_str());
    std::exit(2);
}

redisContext* redis_connect(const std::string& host, unsigned port) {
    redisContext* c = redisConnect(host.c_str(), static_cast<int>(port));
    if (!c || c->err) redis_failed("cannot connect to Redis on " + host + ":" + std::to_string(port));
    return c;
}

// The cluster's slot map, from the first seed that answers CLUSTER NODES.
wsgw::ClusterTopology read_cluster(const std::string& seeds) {
    std::string rest = seeds, error;
    while (!rest.empty()) {
        auto comma = rest.find(',');
        std::string seed = rest.substr(0, comma);
        rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
        auto colon = seed.rfind(':');
        if (colon == std::string::npos) redis_failed("--cluster-nodes wants host:port,... (got " + seed + ")");
        redisContext* c = redisConnect(seed.substr(0, colon).c_str(), std::stoi(seed.substr(colon + 1)));
        auto* r = c && !c->err ? static_cast<redisReply*>(redisCommand(c, "CLUSTER NODES")) : nullptr;
        std::optional<wsgw::ClusterTopology> topology;
        if (r && r->type == REDIS_REPLY_STRING) topology = wsgw::parse_cluster_nodes(std::string_view(r->str, r->len), error);
        if (r) freeReplyObject(r);
        if (c) redisFree(c);
        if (topology) return *topology;
    }
    redis_failed("no node of --cluster-nodes answered CLUSTER NODES " + error);
}

// Where published messages go: one connection, or one per primary of a cluster. Commands are
// appended (pipelined) and their replies read in one go per batch, as a busy backend would.
class Sink {
public:
    explicit Sink(const Options& o) : fcall_(o.publish_command == "fcall") {
        if (o.cluster_nodes.empty()) {
            links_.push_back({redis_connect("127.0.0.1", o.redis_port), 0});
            owner_.fill(0);
            return;
        }
        // PUBLISH on any node reaches the whole cluster; FCALL runs only on the slot's owner.
        const auto topology = read_cluster(o.cluster_nodes);
        std::vector<const wsgw::ClusterNode*> primaries;
        for (unsigned slot = 0; slot < owner_.size(); ++slot) {
            const auto* node = topology.slot_owner(static_cast<std::uint16_t>(slot));
            if (!node) redis_failed("slot " + std::to_string(slot) + " has no healthy primary");
            auto it = std::find(primaries.begin(), primaries.end(), node);
            if (it == primaries.end()) {
                links_.push_back({redis_connect(node->host, node->port), 0});
                it = primaries.insert(primaries.end(), node);
            }
            owner_[slot] = static_cast<std::uint8_t>(it - primaries.begin());
        }
    }
    ~Sink() {
        for (auto& l : links_) redisFree(l.c);
    }
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;

    void append(const std::string& user, const std::string& channel, const std::string& payload) {
        if (!fcall_) {
            auto& l = links_[next_++ % links_.size()];
            redisAppendCommand(l.c, "PUBLISH %b %b", channel.data(), channel.size(), payload.data(), payload.size());
            ++l.pending;
            return;
        }
        auto& l = links_[owner_[wsgw::key_slot(user)]];
        redisAppendCommand(l.c, "FCALL wsgw_publish 1 %b %b %b", user.data(), user.size(), channel.data(), channel.size(),
                           payload.data(), payload.size());
        ++l.pending;
    }

    // Reads every reply appended so far. A refused call (no function library, a MOVED) would
    // make every figure of the run wrong, so it ends the run, naming the error.
    void drain() {
        for (auto& l : links_) {
            for (; l.pending > 0; --l.pending) {
                void* r = nullptr;
                if (redisGetReply(l.c, &r) != REDIS_OK) redis_failed("lost the Redis connection while publishing");
                auto* reply = static_cast<redisReply*>(r);
                if (reply->type == REDIS_REPLY_ERROR) redis_failed("Redis refused a publish: " + std::string(reply->str, reply->len));
                freeReplyObject(r);
            }
        }
    }

private:
    struct Link {
        redisContext* c;
        unsigned pending;
    };
    bool fcall_;
    std::vector<Link> links_;
    std::array<std::uint8_t, 16384> owner_{};  // slot -> index into links_
    std::size_t next_ = 0;
};

// Publishes M messages from its own thread, pipelined in batches, paced to `rate` when set.
void publish(const Options& o, unsigned users, std::atomic<bool>& finished) {
    Sink sink(o);
    auto start = Clock::now();
    unsigned sent = 0;
    unsigned batch = o.rate ? std::max(1u, std::min(o.batch, o.rate / 200 + 1)) : o.batch;
    while (sent < o.messages) {
        unsigned n = std::min(batch, o.messages - sent);
        if (o.rate) std::this_thread::sleep_until(start + std::chrono::nanoseconds(static_cast<long long>(1e9 * sent / o.rate)));
        for (unsigned k = 0; k < n; ++k, ++sent) {
            unsigned u = sent % users;
            std::string channel, payload;
            // Padding that compresses as real payloads do: repeated keys, similar values.
            std::string pad;
            for (unsigned i = 0; pad.size() + 120 < o.payload_bytes; ++i)
                pad += std::string(pad.empty() ? "" : ",") + R"({"title":"Page crawled","url":"https://example.com/site/section-)" +
                       std::to_string((sent + i) % 97) + R"(/page-)" + std::to_string(i) + R"(","status":"DONE"})";
            const std::string items = o.payload_bytes ? R"(,"items":[)" + pad + "]" : "";
            if (o.channel == "progress") {
                // A crawl's progress as a backend publishes it: the phased form of the
                // specification's example (tests/fixtures/spec/progress_phased.in.json), with
                // the counts moving and the generator's seq and send time in the payload.
                const unsigned done = 1 + sent / users % 999;
                channel = "project:" + project_name(u) + ":" + user_name(u);
                payload = R"({"type":"project_progress","payload":{"project_id":")" + project_name(u) +
                          R"(","status":"PROCESSING","overall_progress_percent":)" + std::to_string(done / 20.0) +
                          R"(,"crawl":{"total":1000,"done":)" + std::to_string(done) +
                          R"(,"errors":2,"progress_percent":)" + std::to_string(done / 10) +
                          R"(},"analyze":{"total":1000,"done":)" + std::to_string(done / 2) +
                          R"(,"errors":0,"progress_percent":)" + std::to_string(done / 20) + R"(},"seq":)" +
                          std::to_string(sent) + items + R"(,"t":)" + std::to_string(now_ns()) + "}}";
            } else if (o.channel == "project") {
                channel = "project:" + project_name(u) + ":" + user_name(u);
                payload = R"({"type":"update","payload":{"project_id":")" + project_name(u) + R"(","seq":)" +
                          std::to_string(sent) + items + R"(,"t":)" + std::to_string(now_ns()) + "}}";
            } else {
                channel = "user_noti:" + user_name(u);
                payload = R"({"type":"notification","payload":{"seq":)" + std::to_string(sent) + items + R"(,"t":)" +
                          std::to_string(now_ns()) + "}}";
            }
            sink.append(user_name(u), channel, payload);
        }
        sink.drain();
    }
    finished = true;
}

nlohmann::json latency_json(const wsgw::bench::Histogram& h) {
    auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
    return {{"p50", us(h.quantile(0.50))}, {"p90", us(h.quantile(0.90))}, {"p99", us(h.quantile(0.99))},
            {"p999", us(h.quantile(0.999))}, {"max", us(h.max())}};
}

int run_publish(const Options& o) {
    std::atomic<bool> finished{false};
    double self_cpu0 = self_cpu_seconds();
    auto t0 = Clock::now();
    publish(o, o.users, finished);
    auto elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    nlohmann::json out = {{"mode", o.mode},          {"label", o.label},     {"users", o.users},
                          {"publish", o.publish_command},
                          {"messages", o.messages},  {"rate", o.rate},       {"channel", o.channel},
                          {"seconds", elapsed},      {"bench_cpu_s", self_cpu_seconds() - self_cpu0}};
    std::cout << out.dump() << std::endl;
    return 0;
}

int run_delivery(const Options& o, unsigned users) {
    asio::io_context ioc(1);
    Stats stats;
    auto tokens = make_tokens(o, users);
    auto conns = open_sockets(ioc, o, stats, o.connections, users, tokens);
    if (stats.registered != o.connections) {
        std::fprintf(stderr, "ws-gateway-bench: only %llu of %u sockets registered\n",
                     static_cast<unsigned long long>(stats.registered), o.connections);
        return 1;
    }
    // Expected deliveries: each message reaches every socket of its user.
    std::vector<unsigned> sockets_of(users, 0);
    for (unsigned i = 0; i < o.connections; ++i) ++sockets_of[i % users];
    std::uint64_t expected = 0;
    for (unsigned m = 0; m < o.messages; ++m) expected += sockets_of[m % users];

    double gw_cpu0 = process_cpu_seconds(o.gateway_pid), self_cpu0 = self_cpu_seconds();
    std::uint64_t wire0 = 0;
    for (auto& c : conns) wire0 += c->wire_bytes_received();
    auto t0 = Clock::now();
    std::atomic<bool> finished{false};
    std::thread publisher([&] { publish(o, users, finished); });
    auto last_progress = Clock::now();
    std::uint64_t last_received = 0;
    while (stats.received < expected) {
        ioc.run_one_for(100ms);
        if (stats.received != last_received) {
            last_received = stats.received;
            last_progress = Clock::now();
        } else if (finished && Clock::now() - last_progress > 3s) {
            break;  // the rest is lost
        }
    }
    auto elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    publisher.join();
    double gw_cpu = process_cpu_seconds(o.gateway_pid) - gw_cpu0;
    double self_cpu = self_cpu_seconds() - self_cpu0;  // includes the publisher thread
    std::uint64_t wire1 = 0;
    for (auto& c : conns) wire1 += c->wire_bytes_received();
    const auto wire = static_cast<double>(wire1 - wire0);

    nlohmann::json out = {{"mode", o.mode},
                          {"label", o.label},
                          {"deflate", o.deflate},
                          {"payload_bytes", o.payload_bytes},
                          {"wire_bytes_per_delivery", stats.received ? wire / static_cast<double>(stats.received) : 0},
                          {"connections", o.connections},
                          {"users", users},
                          {"messages", o.messages},
                          {"rate", o.rate},
                          {"channel", o.channel},
                          {"publish", o.publish_command},
                          {"expected", expected},
                          {"received", stats.received},
                          {"lost", expected - std::min(expected, stats.received)},
                          {"duplicates", stats.duplicates},
                          {"read_errors", stats.read_errors},
                          {"seconds", elapsed},
                          {"deliveries_per_s", static_cast<double>(stats.received) / elapsed},
                          {"latency_us", latency_json(stats.latency)},
                          {"gateway_cpu_s", gw_cpu},
                          {"gateway_cpu_us_per_delivery", stats.received ? gw_cpu * 1e6 / static_cast<double>(stats.received) : 0},
                          {"gateway_rss_kib", process_rss_kib(o.gateway_pid)},
                          {"bench_cpu_us_per_delivery", stats.received ? self_cpu * 1e6 / static_cast<double>(stats.received) : 0}};
    std::cout << out.dump() << std::endl;
    for (auto& c : conns) c->close_abruptly();
    return 0;
}

int run_idle(const Options& o) {
    asio::io_context ioc(1);
    Stats stats;
    auto tokens = make_tokens(o, o.users);
    long rss0 = process_rss_kib(o.gateway_pid);
    double gw_cpu0 = process_cpu_seconds(o.gateway_pid);
    auto t0 = Clock::now();
    auto conns = open_sockets(ioc, o, stats, o.connections, o.users, tokens);
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    double gw_cpu = process_cpu_seconds(o.gateway_pid) - gw_cpu0;
    std::this_thread::sleep_for(1s);  // let the gateway settle (freed handshake buffers)
    long rss1 = process_rss_kib(o.gateway_pid);
    nlohmann::json out = {{"mode", "idle"},
                          {"label", o.label},
                          {"deflate", o.deflate},
                          {"connections", o.connections},
                          {"registered", stats.registered},
                          {"failures", stats.connect_failures},
                          {"seconds", elapsed},
                          {"connects_per_s", static_cast<double>(stats.registered) / elapsed},
                          {"gateway_cpu_us_per_connect", stats.registered ? gw_cpu * 1e6 / static_cast<double>(stats.registered) : 0},
                          {"gateway_rss_before_kib", rss0},
                          {"gateway_rss_kib", rss1},
                          {"gateway_kib_per_connection",
                           stats.registered ? static_cast<double>(rss1 - rss0) / static_cast<double>(stats.registered) : 0}};
    std::cout << out.dump() << std::endl;
    for (auto& c : conns) c->close_abruptly();
    return stats.registered == o.connections ? 0 : 1;
}

int run_churn(const Options& o) {
    asio::io_context ioc(1);
    Stats stats;
    auto tokens = make_tokens(o, o.users);
    long rss0 = process_rss_kib(o.gateway_pid);
    auto t0 = Clock::now();
    unsigned done = 0;
    while (done < o.connections) {
        unsigned n = std::min(o.batch, o.connections - done);
        // Users continue across batches: with users = connections, every connect is a new user
        // (in sharded mode, a subscribe and an unsubscribe each).
        // The last batch's aborted reads may have left the context without work, which stops it;
        // without a restart, every later run_one_for returns at once and nothing connects.
        ioc.restart();
        auto conns = open_sockets(ioc, o, stats, n, o.users, tokens, done);
        for (auto& c : conns) c->close_abruptly();
        conns.clear();
        ioc.poll();
        done += n;
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    std::this_thread::sleep_for(1s);
    nlohmann::json out = {{"mode", "churn"},
                          {"label", o.label},
                          {"connections", o.connections},
                          {"registered", stats.registered},
                          {"failures", stats.connect_failures},
                          {"seconds", elapsed},
                          {"cycles_per_s", static_cast<double>(stats.registered) / elapsed},
                          {"gateway_rss_before_kib", rss0},
                          {"gateway_rss_after_kib", process_rss_kib(o.gateway_pid)}};
    std::cout << out.dump() << std::endl;
    return stats.registered == o.connections ? 0 : 1;
}

void usage() {
    std::cerr << "usage: ws-gateway-bench --mode fanout|broadcast|idle|churn|publish --port P --redis-port P --secret S\n"
                 "         [--connections C] [--users U] [--messages M] [--rate R] [--channel user|project|progress]\n"
                 "         [--gateway-pid PID] [--sources N] [--label NAME] [--user-prefix P]\n"
                 "         [--deflate] [--payload-bytes N] [--publish publish|fcall] [--cluster-nodes HOST:PORT,...]\n";
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (const char* s = std::getenv("WSGW_JWT_SECRET")) o.secret = s;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage();
                std::exit(2);
            }
            return argv[++i];
        };
        auto num = [&] { return static_cast<unsigned>(std::stoul(next())); };
        if (a == "--mode") o.mode = next();
        else if (a == "--label") o.label = next();
        else if (a == "--port") o.port = num();
        else if (a == "--redis-port") o.redis_port = num();
        else if (a == "--secret") o.secret = next();
        else if (a == "--connections") o.connections = num();
        else if (a == "--users") o.users = num();
        else if (a == "--messages") o.messages = num();
        else if (a == "--rate") o.rate = num();
        else if (a == "--channel") o.channel = next();
        else if (a == "--gateway-pid") o.gateway_pid = static_cast<int>(num());
        else if (a == "--sources") o.sources = num();
        else if (a == "--batch") o.batch = num();
        else if (a == "--user-prefix") user_prefix = next();
        else if (a == "--deflate") o.deflate = deflate_offered = true;
        else if (a == "--payload-bytes") o.payload_bytes = num();
        else if (a == "--publish") o.publish_command = next();
        else if (a == "--cluster-nodes") o.cluster_nodes = next();
        else {
            usage();
            return a == "--help" ? 0 : 2;
        }
    }
    if (o.publish_command != "publish" && o.publish_command != "fcall") {
        usage();
        return 2;
    }
    if (o.mode == "publish" && o.users > 0) return run_publish(o);
    if (o.secret.empty() || o.connections == 0 || o.users == 0) {
        usage();
        return 2;
    }
    if (o.mode == "fanout") return run_delivery(o, std::min(o.users, o.connections));
    if (o.mode == "broadcast") return run_delivery(o, 1);
    if (o.mode == "idle") return run_idle(o);
    if (o.mode == "churn") return run_churn(o);
    usage();
    return 2;
}
