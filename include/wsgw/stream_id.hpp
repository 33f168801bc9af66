#pragma once
// Redis stream ids ("<ms>-<seq>"), the message ids of sharded mode (wsgw/sharded_contract.hpp).
//
// A stream orders its entries by id, and the gateway relies on that order to join a stream read
// to the live messages that follow it (drop what is not newer than the last id read). The text
// form does not sort ("9-0" > "10-0"), so ids are compared parsed.
#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

struct StreamId {
    std::uint64_t ms = 0;
    std::uint64_t seq = 0;

    auto operator<=>(const StreamId&) const = default;
    // When the entry was added, by the Redis server's clock (clamped to 2096, as every time from
    // outside is: wsgw/unix_time.hpp).
    std::chrono::system_clock::time_point time() const noexcept;
    std::string text() const;
};

// "<ms>-<seq>", both decimal without sign or leading '+', each at most 20 digits and in range
// of 64 bits; nullopt for anything else (an id from the other mode, a client's guess).
std::optional<StreamId> parse_stream_id(std::string_view text) noexcept;

}  // namespace wsgw
