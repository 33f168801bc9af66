// libFuzzer target: the client frame parser. The first byte picks how the rest is cut into reads
// (bit 7: one cut, or chunks of equal size; bits 0-6: the cut position or chunk size); the rest
// is the byte stream. Whatever it is, every callback must respect the protocol's guarantees,
// and the cut must not change what is delivered: the same stream fed in one read must give the
// same callbacks, the same outcome and the same held bytes.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "wsgw/utf8.hpp"
#include "wsgw/ws_frame.hpp"

namespace {

using wsgw::ws::FrameParser;
using wsgw::ws::Opcode;

constexpr std::size_t kLimit = 1000;

void check(bool ok) {
    if (!ok) __builtin_trap();
}

bool valid_close_code(std::uint16_t c) {
    return c == 1005 || (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

class CheckingSink : public wsgw::ws::FrameSink {
public:
    std::vector<std::string> events;
    bool closed = false;

    void on_message(Opcode type, std::string_view data) override {
        check(!closed);
        check(type == Opcode::text || type == Opcode::binary);
        check(data.size() <= kLimit);
        if (type == Opcode::text) check(wsgw::is_valid_utf8(data));
        record(type == Opcode::text ? 't' : 'b', data);
    }
    void on_ping(std::string_view payload) override {
        check(!closed);
        check(payload.size() <= wsgw::ws::kMaxControlPayload);
        record('i', payload);
    }
    void on_pong(std::string_view payload) override {
        check(!closed);
        check(payload.size() <= wsgw::ws::kMaxControlPayload);
        record('o', payload);
    }
    void on_close(std::uint16_t code, std::string_view reason) override {
        check(!closed);
        check(valid_close_code(code));
        check(reason.size() <= wsgw::ws::kMaxControlPayload - 2);
        check(code != 1005 || reason.empty());
        check(wsgw::is_valid_utf8(reason));
        closed = true;
        record('c', std::to_string(code) + ":" + std::string(reason));
    }

private:
    void record(char kind, std::string_view data) { events.push_back(kind + std::string(data)); }
};

struct Outcome {
    std::vector<std::string> events;
    bool ok;
    std::uint16_t code;
    bool closed;
    std::size_t buffered;
};

// Feeds `stream` in reads ending at each of `cuts` (ascending), then the rest.
Outcome run(std::string stream, const std::vector<std::size_t>& cuts) {
    FrameParser parser(kLimit);
    CheckingSink sink;
    bool ok = true;
    std::size_t from = 0;
    auto feed = [&](std::size_t to) {
        bool r = parser.feed(stream.data() + from, to - from, sink);
        if (!ok) check(!r);  // a failed parser stays failed
        ok = r;
        from = to;
        check(parser.closed() == sink.closed);
        if (!ok) check(parser.error().code == 1002 || parser.error().code == 1007 || parser.error().code == 1009);
        if (!ok || parser.closed()) check(parser.buffered() == 0);
        check(parser.buffered() <= FrameParser::max_buffered(kLimit));
    };
    for (std::size_t cut : cuts) feed(cut);
    feed(stream.size());
    return {sink.events, ok, parser.error().code, parser.closed(), parser.buffered()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t control = data[0];
    const std::string stream(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t n = stream.size();
    const std::size_t k = control & 0x7F;

    std::vector<std::size_t> cuts;
    if (control & 0x80) {
        for (std::size_t at = k + 1; at < n; at += k + 1) cuts.push_back(at);
    } else {
        cuts.push_back(k < n ? k : n);
    }

    const Outcome split = run(stream, cuts);
    const Outcome whole = run(stream, {});
    check(split.events == whole.events);
    check(split.ok == whole.ok);
    check(split.code == whole.code);
    check(split.closed == whole.closed);
    check(split.buffered == whole.buffered);
    return 0;
}
