// Micro-benchmarks of the per-message and per-delivery core work, so a regression shows
// without sockets: validation + normalization + serialization, WebSocket framing, routing
// lookup, queueing.
#include <benchmark/benchmark.h>
#include <zlib.h>
#if WSGW_BENCH_LIBDEFLATE
#include <libdeflate.h>
#endif

#include <memory>
#include <string>

#include "wsgw/channel.hpp"
#include "wsgw/message.hpp"
#include "wsgw/message_deflate.hpp"
#include "wsgw/message_id.hpp"
#include "wsgw/message_inflate.hpp"
#include "wsgw/message_sketch.hpp"
#include "wsgw/presence_hint.hpp"
#include "wsgw/registry.hpp"
#include "wsgw/resume_window.hpp"
#include "wsgw/revocation_list.hpp"
#include "wsgw/send_queue.hpp"
#include "wsgw/sse_event.hpp"
#include "wsgw/time_format.hpp"
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

constexpr const char* kNotification =
    R"({"type":"notification","payload":{"title":"Build finished","body":"Project p1 is ready"},"timestamp":"2025-12-07T10:00:00Z"})";
constexpr const char* kPhasedProgress =
    R"({"type":"project_progress","payload":{"project_id":"p1","status":"PROCESSING","overall_progress_percent":42.5,"crawl":{"total":100,"done":60,"errors":2,"progress_percent":60},"analyze":null},"timestamp":"2025-12-07T10:00:00Z"})";

void BM_ValidateNotification(benchmark::State& s) { validate(s, kNotification, wsgw::ChannelKind::user); }
void BM_ValidateLegacyProgress(benchmark::State& s) {
    validate(s, R"({"type":"project_progress","payload":{"project_id":"p1","status":"CRAWLING","total":10,"done":4,"errors":0,"progress_percent":40}})",
             wsgw::ChannelKind::project);
}
void BM_ValidatePhasedProgress(benchmark::State& s) { validate(s, kPhasedProgress, wsgw::ChannelKind::project); }
void BM_ValidateRejectsNotJson(benchmark::State& s) { validate(s, "{\"type\":\"notification\",\"payload\":{", wsgw::ChannelKind::user); }

// What the subscriber does once per message before handing it to the threads (MessageIntake::take
// in src/net, here with its core parts and a stand-in for its Delivery). A user held here, and
// every message before lazy validation: the channel, the presence hint, validation, the frame.
// A user held elsewhere: the channel, the hint, the sketch, a copy of the raw bytes.
struct IntakeItem {
    wsgw::Outbound outbound;
    std::string user_id, project_id, id, raw;
    bool kept_raw = false;
};

const char* intake_channel(bool progress) { return progress ? "project:p1:user_4567" : "user_noti:user_4567"; }

void BM_IntakeValidated(benchmark::State& state) {
    const bool progress = state.range(0) != 0;
    const std::string_view raw = progress ? kPhasedProgress : kNotification;
    const auto presence = std::make_unique<wsgw::PresenceHint>();
    presence->add("user_4567");
    wsgw::MessageLimits limits;
    for (auto _ : state) {
        auto channel = wsgw::parse_channel(intake_channel(progress));
        if (!presence->maybe_held(channel->user_id)) state.SkipWithError("not held");
        auto r = wsgw::validate_message(raw, *channel, limits, kNow);
        auto d = std::make_shared<IntakeItem>();
        d->outbound.frame = wsgw::ws::make_frame(wsgw::ws::Opcode::text, r.message().frame);
        d->outbound.type = r.message().type;
        d->outbound.project_id = std::move(r.message().project_id);
        d->id = std::move(r.message().id);
        d->user_id = std::move(channel->user_id);
        d->project_id = std::move(channel->project_id);
        benchmark::DoNotOptimize(d);
    }
}

void BM_IntakeKeptRaw(benchmark::State& state) {
    const bool progress = state.range(0) != 0;
    const std::string_view raw = progress ? kPhasedProgress : kNotification;
    const auto presence = std::make_unique<wsgw::PresenceHint>();
    presence->add("user_0001");  // some other user is held here
    wsgw::MessageLimits limits;
    for (auto _ : state) {
        auto channel = wsgw::parse_channel(intake_channel(progress));
        if (presence->maybe_held(channel->user_id)) state.SkipWithError("held");
        auto sketch = wsgw::sketch_message(raw, *channel, limits);
        auto d = std::make_shared<IntakeItem>();
        d->kept_raw = true;
        d->outbound.type = sketch->type;
        d->outbound.project_id = sketch->project_id;
        d->raw = raw;
        d->user_id = std::move(channel->user_id);
        d->project_id = std::move(channel->project_id);
        benchmark::DoNotOptimize(d);
    }
}

// What lazy validation adds to a held user's message: one hash and one relaxed load.
void BM_PresenceHintLookup(benchmark::State& state) {
    const auto presence = std::make_unique<wsgw::PresenceHint>();
    for (int i = 0; i < 10'000; ++i) presence->add("user_" + std::to_string(i));
    const std::string user = "user_4567";
    for (auto _ : state) benchmark::DoNotOptimize(presence->maybe_held(user));
}

void BM_SketchMessage(benchmark::State& state) {
    const bool progress = state.range(0) != 0;
    const wsgw::Channel channel{progress ? wsgw::ChannelKind::project : wsgw::ChannelKind::user, "u1", progress ? "p1" : ""};
    const std::string_view raw = progress ? kPhasedProgress : kNotification;
    wsgw::MessageLimits limits;
    for (auto _ : state) benchmark::DoNotOptimize(wsgw::sketch_message(raw, channel, limits));
}

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
    auto item = std::make_shared<const wsgw::Outbound>(wsgw::Outbound{std::string(120, 'x'), wsgw::MessageType::notification, "", {}});
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

// Once per message for the process: keeping it in the resume window (a 150-byte frame). Arg 0:
// users; arg 1: the byte bound in MiB. 1000 users in 64 MiB is the burst benchmark's steady
// state (each user's own bound evicts); 10k users in 8 MiB evicts by bytes on every put, and
// most puts create a user whose last entry another put just evicted. Reports the bytes the
// window counts per retained message, bookkeeping included.
void BM_ResumeWindowPut(benchmark::State& state) {
    struct Item {
        std::string id;
    };
    struct Traits {
        static std::string_view id(const std::shared_ptr<const Item>& i) { return i->id; }
        static std::string_view channel_project(const std::shared_ptr<const Item>&) { return {}; }
    };
    wsgw::ResumeWindow<std::shared_ptr<const Item>, Traits> window(
        {std::chrono::seconds(300), 256, static_cast<std::size_t>(state.range(1)) << 20});
    std::vector<std::string> users;
    std::vector<std::shared_ptr<const Item>> items;
    for (int i = 0; i < state.range(0); ++i) users.push_back("bench-user-" + std::to_string(i));
    for (int i = 0; i < 4096; ++i)
        items.push_back(std::make_shared<const Item>(
            Item{wsgw::derived_message_id({wsgw::ChannelKind::user, "u", ""}, std::to_string(i))}));
    auto now = std::chrono::steady_clock::time_point{};
    std::size_t k = 0;
    for (auto _ : state) {
        window.put(users[k % users.size()], items[k % items.size()],
                   wsgw::RetainedMeta{{}, wsgw::MessageType::notification, 150}, now);
        ++k;
    }
    state.counters["bytes_per_retained_message"] =
        static_cast<double>(window.bytes()) / static_cast<double>(std::max<std::size_t>(window.messages(), 1));
    state.counters["retained_messages"] = static_cast<double>(window.messages());
}

// Once per message: its id when the publisher set none.
void BM_DeriveMessageId(benchmark::State& state) {
    const std::string raw = R"({"type":"notification","payload":{"title":"Build finished","body":"Project p1 is ready"}})";
    const wsgw::Channel channel{wsgw::ChannelKind::user, "user_4567", ""};
    for (auto _ : state) benchmark::DoNotOptimize(wsgw::derived_message_id(channel, raw));
}

// Once per message with an offset timestamp.
void BM_TimestampToUtc(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(wsgw::to_utc_rfc3339("2025-12-07T12:00:00.250+02:00"));
}

// Once per delivery to an SSE stream: the event's pieces, pointing into the shared frame.
void BM_RenderSseEvent(benchmark::State& state) {
    const auto frame = wsgw::ws::make_frame(
        wsgw::ws::Opcode::text, R"({"type":"notification","id":"Xq3vL0d9aBc","payload":{"title":"x"},"timestamp":"t"})");
    for (auto _ : state) benchmark::DoNotOptimize(wsgw::sse::render_event(frame));
}

// --- permessage-deflate: which codec compresses each message once ---------------------------
// Arg 0 picks the message, as the gateway sends it (validate_message's frame): 0 a notification
// (~150 B), 1 a phased progress update (~270 B), 2 a completed project's summary (~270 B), 3 a
// notification with a 1.3 KiB body. Every case reports original and compressed bytes.
constexpr const char* kCompletedSummary =
    R"({"type":"project_completed","payload":{"project_id":"p1","status":"DONE","overall_progress_percent":100,"crawl":{"total":100,"done":100,"errors":3,"progress_percent":100},"analyze":{"total":97,"done":97,"errors":0,"progress_percent":100}},"timestamp":"2025-12-07T10:05:00Z"})";

std::string long_notification() {
    std::string body;
    for (int i = 0; body.size() < 1300; ++i)
        body += "Page /docs/section-" + std::to_string(i) + " was crawled and analyzed; 3 warnings. ";
    return R"({"type":"notification","payload":{"title":"Crawl report","body":")" + body +
           R"("},"timestamp":"2025-12-07T10:00:00Z"})";
}

std::string deflate_sample(std::int64_t which) {
    const bool project = which == 1 || which == 2;
    const wsgw::Channel channel{project ? wsgw::ChannelKind::project : wsgw::ChannelKind::user, "u1", project ? "p1" : ""};
    const std::string raw = which == 0 ? kNotification : which == 1 ? kPhasedProgress : which == 2 ? kCompletedSummary
                                                                                                  : long_notification();
    auto r = wsgw::validate_message(raw, channel, wsgw::MessageLimits{}, kNow);
    return r.ok() ? r.message().frame : raw;
}

// One message through a raw deflate stream with a sync flush, the trailing 00 00 ff ff cut.
std::string zlib_sync_flushed(z_stream& z, std::string_view message) {
    std::string out(deflateBound(&z, message.size()) + 6, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
    z.avail_in = static_cast<uInt>(message.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_SYNC_FLUSH);
    out.resize(out.size() - z.avail_out - 4);
    return out;
}

void report_sizes(benchmark::State& state, std::size_t original, std::size_t compressed) {
    state.counters["original_bytes"] = static_cast<double>(original);
    state.counters["compressed_bytes"] = static_cast<double>(compressed);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * original));
}

// zlib as most servers use it: one raw deflate stream reset per message, a sync flush, the
// trailing 00 00 ff ff cut. Arg 1: level; arg 2: memLevel (8 is zlib's default; the hash table
// deflateReset clears is 2^(memLevel+8) bytes).
void BM_DeflateZlib(benchmark::State& state) {
    const std::string message = deflate_sample(state.range(0));
    z_stream z{};
    deflateInit2(&z, static_cast<int>(state.range(1)), Z_DEFLATED, -15, static_cast<int>(state.range(2)),
                 Z_DEFAULT_STRATEGY);
    std::size_t size = 0;
    for (auto _ : state) {
        deflateReset(&z);
        std::string out = zlib_sync_flushed(z, message);
        size = out.size();
        benchmark::DoNotOptimize(out);
    }
    deflateEnd(&z);
    report_sizes(state, message.size(), size);
}

// The same with a deflater set up for each message instead of one kept per thread.
void BM_DeflateZlibInitPerMessage(benchmark::State& state) {
    const std::string message = deflate_sample(state.range(0));
    for (auto _ : state) {
        z_stream z{};
        deflateInit2(&z, static_cast<int>(state.range(1)), Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
        benchmark::DoNotOptimize(zlib_sync_flushed(z, message));
        deflateEnd(&z);
    }
}

#if WSGW_BENCH_LIBDEFLATE
// libdeflate on the whole message (its stream ends with a BFINAL block), plus the first byte of
// the empty stored block section 7.2.1 appends. Arg 1: level.
void BM_DeflateLibdeflate(benchmark::State& state) {
    const std::string message = deflate_sample(state.range(0));
    libdeflate_compressor* c = libdeflate_alloc_compressor(static_cast<int>(state.range(1)));
    std::size_t size = 0;
    for (auto _ : state) {
        std::string out(libdeflate_deflate_compress_bound(c, message.size()) + 1, '\0');
        const std::size_t n = libdeflate_deflate_compress(c, message.data(), message.size(), out.data(), out.size() - 1);
        out[n] = '\0';
        out.resize(n + 1);
        size = out.size();
        benchmark::DoNotOptimize(out);
    }
    libdeflate_free_compressor(c);
    report_sizes(state, message.size(), size);
}

// The same with a compressor allocated for each message instead of one kept per thread.
void BM_DeflateLibdeflateAllocPerMessage(benchmark::State& state) {
    const std::string message = deflate_sample(state.range(0));
    for (auto _ : state) {
        libdeflate_compressor* c = libdeflate_alloc_compressor(static_cast<int>(state.range(1)));
        std::string out(libdeflate_deflate_compress_bound(c, message.size()) + 1, '\0');
        benchmark::DoNotOptimize(libdeflate_deflate_compress(c, message.data(), message.size(), out.data(), out.size()));
        libdeflate_free_compressor(c);
    }
}

#endif

// What the gateway runs once per message: ws::deflate_message and its frame.
void BM_DeflateMessageFrame(benchmark::State& state) {
    const std::string message = deflate_sample(state.range(0));
    std::size_t size = 0;
    for (auto _ : state) {
        auto compressed = wsgw::ws::deflate_message(message);
        auto frame = wsgw::ws::make_compressed_frame(wsgw::ws::Opcode::text, *compressed);
        size = compressed->size();
        benchmark::DoNotOptimize(frame);
    }
    report_sizes(state, message.size(), size);
}

// Once per compressed client message: inflating what a browser sent (zlib, sync flush).
void BM_InflateMessage(benchmark::State& state) {
    const std::string message = deflate_sample(state.range(0));
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    const std::string compressed = zlib_sync_flushed(z, message);
    deflateEnd(&z);
    std::string out;
    for (auto _ : state) {
        if (wsgw::ws::inflate_message(compressed, 4096, out) != wsgw::ws::InflateStatus::ok) state.SkipWithError("inflate");
        benchmark::DoNotOptimize(out);
    }
    report_sizes(state, message.size(), compressed.size());
}

void deflate_messages(benchmark::internal::Benchmark* b, std::initializer_list<std::int64_t> levels, bool mem_levels) {
    for (std::int64_t m = 0; m < 4; ++m)
        for (std::int64_t level : levels) {
            if (!mem_levels) {
                b->Args({m, level});
                continue;
            }
            b->Args({m, level, 8});
            b->Args({m, level, 1});
        }
}

BENCHMARK(BM_ValidateNotification);
BENCHMARK(BM_ValidateLegacyProgress);
BENCHMARK(BM_ValidatePhasedProgress);
BENCHMARK(BM_ValidateRejectsNotJson);
BENCHMARK(BM_ParseChannel);
BENCHMARK(BM_IntakeValidated)->Arg(0)->Arg(1);
BENCHMARK(BM_IntakeKeptRaw)->Arg(0)->Arg(1);
BENCHMARK(BM_SketchMessage)->Arg(0)->Arg(1);
BENCHMARK(BM_PresenceHintLookup);
BENCHMARK(BM_RegistryFanoutPerUser)->Arg(1000)->Arg(100'000);
BENCHMARK(BM_RegistryBroadcast)->Arg(10'000);
BENCHMARK(BM_SendQueuePushWrite);
BENCHMARK(BM_MakeServerFrame)->Arg(150)->Arg(2000);
BENCHMARK(BM_ParseClientFrame);
BENCHMARK(BM_RevocationCheckPerConnect)->Arg(0)->Arg(1000)->Arg(100'000);
BENCHMARK(BM_TokenFingerprint);
BENCHMARK(BM_ResumeWindowPut)->Args({1000, 64})->Args({10'000, 8});
BENCHMARK(BM_DeriveMessageId);
BENCHMARK(BM_TimestampToUtc);
BENCHMARK(BM_RenderSseEvent);
BENCHMARK(BM_DeflateZlib)->Apply([](auto* b) { deflate_messages(b, {1, 6, 9}, true); });
BENCHMARK(BM_DeflateZlibInitPerMessage)->Args({0, 1})->Args({3, 1});
#if WSGW_BENCH_LIBDEFLATE
BENCHMARK(BM_DeflateLibdeflate)->Apply([](auto* b) { deflate_messages(b, {1, 6, 9, 12}, false); });
BENCHMARK(BM_DeflateLibdeflateAllocPerMessage)->Args({0, 6})->Args({3, 6});
#endif
BENCHMARK(BM_DeflateMessageFrame)->DenseRange(0, 3);
BENCHMARK(BM_InflateMessage)->DenseRange(0, 3);

}  // namespace
