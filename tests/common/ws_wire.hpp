#pragma once
// Client frames as browsers put them on the wire, and a sink that records what a
// ws::FrameParser delivers, for the tests of the parser (plain and with permessage-deflate).
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "wsgw/ws_frame.hpp"

namespace wsgw::ws_wire {

constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kText = kFin | 0x1;
constexpr std::uint8_t kBinary = kFin | 0x2;
constexpr std::uint8_t kClose = kFin | 0x8;
constexpr std::uint8_t kPing = kFin | 0x9;
constexpr std::uint8_t kPong = kFin | 0xA;
constexpr std::array<unsigned char, 4> kKey{0x37, 0xfa, 0x21, 0x3d};  // RFC 6455 section 5.7

enum class LengthForm { minimal, sixteen_bit, sixty_four_bit };

// A frame as a browser sends it: masked, with `byte0` holding FIN, RSV and the opcode.
inline std::string client_frame(std::uint8_t byte0, std::string_view payload, LengthForm form = LengthForm::minimal) {
    std::string f(1, static_cast<char>(byte0));
    const std::uint64_t n = payload.size();
    if (form == LengthForm::minimal && n <= 125) {
        f += static_cast<char>(0x80 | n);
    } else if (form != LengthForm::sixty_four_bit && n <= 0xFFFF) {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xFF);
    } else {
        f += static_cast<char>(0x80 | 127);
        for (int i = 0; i < 8; ++i) f += static_cast<char>((n >> (56 - 8 * i)) & 0xFF);
    }
    f.append(reinterpret_cast<const char*>(kKey.data()), kKey.size());
    for (std::size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ kKey[i % 4]);
    return f;
}

inline std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s += static_cast<char>(b);
    return s;
}

// Records every callback as one readable line, so a failing test prints what it got.
class RecordingSink : public wsgw::ws::FrameSink {
public:
    std::vector<std::string> events;
    std::vector<const char*> message_data;  // where each message's view pointed

    void on_message(wsgw::ws::Opcode type, std::string_view data) override {
        events.push_back((type == wsgw::ws::Opcode::text ? "text:" : type == wsgw::ws::Opcode::binary ? "binary:" : "other:") +
                         std::string(data));
        message_data.push_back(data.data());
    }
    void on_ping(std::string_view payload) override { events.push_back("ping:" + std::string(payload)); }
    void on_pong(std::string_view payload) override { events.push_back("pong:" + std::string(payload)); }
    void on_close(std::uint16_t code, std::string_view reason) override {
        events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
    }
};

using Events = std::vector<std::string>;

// What a parser made of some input: its callbacks, its verdict, and the bytes it still holds.
struct Parsed {
    bool ok = false;
    Events events;
    std::uint16_t code = 0;
    std::string reason;
    std::size_t buffered = 0;
};

}  // namespace wsgw::ws_wire
