#pragma once
// What every client frame parser fuzz target checks: a sink that traps on any callback breaking
// the protocol's guarantees, and a run of the parser over one byte stream cut into reads, whose
// outcome must not depend on where the cuts fall.
#include <cstdint>
#include <string>
#include <vector>

#include "wsgw/utf8.hpp"
#include "wsgw/ws_frame.hpp"

namespace wsgw::fuzz {

inline void check(bool ok) {
    if (!ok) __builtin_trap();
}

inline bool valid_close_code(std::uint16_t c) {
    return c == 1005 || (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

class CheckingSink : public ws::FrameSink {
public:
    explicit CheckingSink(std::size_t limit) : limit_(limit) {}

    std::vector<std::string> events;
    bool closed = false;

    void on_message(ws::Opcode type, std::string_view data) override {
        check(!closed);
        check(type == ws::Opcode::text || type == ws::Opcode::binary);
        check(data.size() <= limit_);
        if (type == ws::Opcode::text) check(is_valid_utf8(data));
        record(type == ws::Opcode::text ? 't' : 'b', data);
    }
    void on_ping(std::string_view payload) override {
        check(!closed);
        check(payload.size() <= ws::kMaxControlPayload);
        record('i', payload);
    }
    void on_pong(std::string_view payload) override {
        check(!closed);
        check(payload.size() <= ws::kMaxControlPayload);
        record('o', payload);
    }
    void on_close(std::uint16_t code, std::string_view reason) override {
        check(!closed);
        check(valid_close_code(code));
        check(reason.size() <= ws::kMaxControlPayload - 2);
        check(code != 1005 || reason.empty());
        check(is_valid_utf8(reason));
        closed = true;
        record('c', std::to_string(code) + ":" + std::string(reason));
    }

private:
    void record(char kind, std::string_view data) { events.push_back(kind + std::string(data)); }
    std::size_t limit_;
};

struct Outcome {
    std::vector<std::string> events;
    bool ok;
    std::uint16_t code;
    bool closed;
    std::size_t buffered;

    bool operator==(const Outcome&) const = default;
};

// Feeds `stream` to a parser bounded by `limit` in reads ending at each of `cuts` (ascending),
// then the rest, checking the parser's own guarantees after every read.
inline Outcome run(std::string stream, const std::vector<std::size_t>& cuts, std::size_t limit, bool deflate) {
    ws::FrameParser parser(limit);
    if (deflate) parser.enable_permessage_deflate();
    CheckingSink sink(limit);
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
        check(parser.buffered() <= ws::FrameParser::max_buffered(limit));
    };
    for (std::size_t cut : cuts) feed(cut);
    feed(stream.size());
    return {sink.events, ok, parser.error().code, parser.closed(), parser.buffered()};
}

// The cuts a control byte asks for: bit 7 set, reads of (bits 0-6) + 1 bytes; clear, one cut at
// bits 0-6 (or the end).
inline std::vector<std::size_t> cuts_for(std::uint8_t control, std::size_t n) {
    const std::size_t k = control & 0x7F;
    std::vector<std::size_t> cuts;
    if (control & 0x80) {
        for (std::size_t at = k + 1; at < n; at += k + 1) cuts.push_back(at);
    } else {
        cuts.push_back(k < n ? k : n);
    }
    return cuts;
}

}  // namespace wsgw::fuzz
