// Micro-benchmarks of the per-message and per-delivery core work, so a regression shows
// without sockets: validation + normalization + serialization, WebSocket framing, routing
// lookup, queueing.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "wsgw/channel.hpp"
#include "wsgw/message.hpp"
#include "wsgw/registry.hpp"
#include "wsgw/revocation_list.hpp"
#include "wsgw/send_queue.hpp"
#include "wsgw/ws_frame.hpp"

namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'765'000'000));

void validate(benchmark::State& state, const char* raw, wsgw::ChannelKind kind) {
    wsgw::Channel channel{kind, "u1", kind == wsgw::ChannelKind::project ? "p1" : ""};
    wsgw::MessageLimits limits;
    std::string_view text(raw);
    for (auto _ : state) {
        auto r = wsgw::validate_message(text, channel, limits, kNow);
        benchmark::DoNotOptimize(r);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void BM_ValidateNotification(benchmark::State& s) {
    validate(s, R"({"type":"notification","payload":{"title":"Build finished","body":"Project p1 is ready"},"timestamp":"2025-12-07T10:00:00Z"})",
             wsgw::ChannelKind::user);
}
void BM_ValidateLegacyProgress(benchmark::State& s) {
    validate(s, R"({"type":"project_progress","payload":{"project_id":"p1","status":"CRAWLING","total":10,"done":4,"errors":0,"progress_percent":40}})",
             wsgw::ChannelKind::project);
}
void BM_ValidatePhasedProgress(benchmark::State& s) {
    validate(s, R"({"type":"project_progress","payload":{"project_id":"p1","status":"PROCESSING","overall_progress_percent":42.5,"crawl":{"total":100,"done":60,"errors":2,"progress_percent":60},"analyze":null},"timestamp":"2025-12-07T10:00:00Z"})",
             wsgw::ChannelKind::project);
}
void BM_ValidateRejectsNotJson(benchmark::State& s) { validate(s, "{\"type\":\"notification\",\"payload\":{", wsgw::ChannelKind::user); }

void BM_ParseChannel(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(wsgw::parse_channel("project:p-123:user_4567"));
}

// One lookup per message per thread; the walk is per delivery.
void BM_RegistryFanoutPerUser(benchmark::State& state) {
    wsgw::Registry<int> reg;
    const int users = static_cast<int>(state.range(0));
    for (int i = 0; i < users * 2; ++i) reg.add("bench-u" + std::to_string(i % users), "", i);
    std::vector<std::string> names;
    for (int u = 0; u < users; ++u) names.push_back("bench-u" + std::to_string(u));
    std::size_t k = 0, delivered = 0;
    for (auto _ : state) {
        delivered += reg.for_each_target(names[k++ % names.size()], "", [](int h) { benchmark::DoNotOptimize(h); });
    }
    state.counters["deliveries_per_lookup"] = static_cast<double>(delivered) / static_cast<double>(state.iterations());
}

void BM_RegistryBroadcast(benchmark::State& state) {
    wsgw::Registry<int> reg;
    for (int i = 0; i < state.range(0); ++i) reg.add("one", "", i);
    for (auto _ : state) reg.for_each_target("one", "", [](int h) { benchmark::DoNotOptimize(h); });
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_SendQueuePushWrite(benchmark::State& state) {
    wsgw::SendQueue q({1024, 1 << 20});
    auto item = std::make_shared<const wsgw::Outbound>(wsgw::Outbound{std::string(120, 'x'), wsgw::MessageType::notification, ""});
    for (auto _ : state) {
        q.push(item);
        benchmark::DoNotOptimize(q.begin_write(64));
        q.end_write();
    }
}

// Once per message: the frame every socket of the message's users writes.
void BM_MakeServerFrame(benchmark::State& state) {
    std::string json(static_cast<std::size_t>(state.range(0)), 'x');
    for (auto _ : state) benchmark::DoNotOptimize(wsgw::ws::make_frame(wsgw::ws::Opcode::text, json));
}

// A client's {"type":"ping"}: masked text frame, unmasked in place and handed out.
class NullSink final : public wsgw::ws::FrameSink {
public:
    void on_message(wsgw::ws::Opcode, std::string_view data) override { benchmark::DoNotOptimize(data.data()); }
    void on_ping(std::string_view) override {}
    void on_pong(std::string_view) override {}
    void on_close(std::uint16_t, std::string_view) override {}
};

void BM_ParseClientFrame(benchmark::State& state) {
    const std::string text = R"({"type":"ping"})";
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    std::string frame{static_cast<char>(0x81), static_cast<char>(0x80 | text.size())};
    frame.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < text.size(); ++i) frame.push_back(static_cast<char>(text[i] ^ mask[i % 4]));
    wsgw::ws::FrameParser parser(4096);
    NullSink sink;
    std::string buffer;
    for (auto _ : state) {
        buffer = frame;  // parsing unmasks in place
        parser.feed(buffer.data(), buffer.size(), sink);
    }
}

// Once per connect: is the token's jti revoked? An empty list takes no lock.
void BM_RevocationCheckPerConnect(benchmark::State& state) {
    wsgw::RevocationList list(1'000'000);
    const auto now = kNow;
    for (int i = 0; i < state.range(0); ++i)
        list.add("revoked-" + std::to_string(i), now + std::chrono::hours(1), now);
    const std::string jti = "3f2a9c1e-77b0-4d1f-9a51-2f0c6a1d9e42";  // a UUID, as most issuers use
    for (auto _ : state) benchmark::DoNotOptimize(list.contains(jti, now));
}

// Once per connect with a jti: what the socket keeps of it.
void BM_TokenFingerprint(benchmark::State& state) {
    const std::string jti = "3f2a9c1e-77b0-4d1f-9a51-2f0c6a1d9e42";
    for (auto _ : state) benchmark::DoNotOptimize(wsgw::token_fingerprint(jti));
}

BENCHMARK(BM_ValidateNotification);
BENCHMARK(BM_ValidateLegacyProgress);
BENCHMARK(BM_ValidatePhasedProgress);
BENCHMARK(BM_ValidateRejectsNotJson);
BENCHMARK(BM_ParseChannel);
BENCHMARK(BM_RegistryFanoutPerUser)->Arg(1000)->Arg(100'000);
BENCHMARK(BM_RegistryBroadcast)->Arg(10'000);
BENCHMARK(BM_SendQueuePushWrite);
BENCHMARK(BM_MakeServerFrame)->Arg(150)->Arg(2000);
BENCHMARK(BM_ParseClientFrame);
BENCHMARK(BM_RevocationCheckPerConnect)->Arg(0)->Arg(1000)->Arg(100'000);
BENCHMARK(BM_TokenFingerprint);

}  // namespace
