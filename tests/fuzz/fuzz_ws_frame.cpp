// libFuzzer target: the client frame parser. The first byte picks how the rest is cut into reads
// (bit 7: one cut, or chunks of equal size; bits 0-6: the cut position or chunk size); the rest
// is the byte stream. Whatever it is, every callback must respect the protocol's guarantees,
// and the cut must not change what is delivered: the same stream fed in one read must give the
// same callbacks, the same outcome and the same held bytes.
#include <cstdint>
#include <string>

#include "frame_parser_run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wsgw::fuzz;
    constexpr std::size_t kLimit = 1000;
    if (size == 0) return 0;
    const std::string stream(reinterpret_cast<const char*>(data) + 1, size - 1);
    const Outcome split = run(stream, cuts_for(data[0], stream.size()), kLimit, false);
    const Outcome whole = run(stream, {}, kLimit, false);
    check(split == whole);
    return 0;
}
