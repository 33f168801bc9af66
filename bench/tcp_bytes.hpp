#pragma once
#include <cstdint>

namespace wsgw::bench {

// TCP payload bytes a connected socket has received (the kernel's tcpi_bytes_received): what
// crossed the wire to it, headers of the IP and TCP layers excluded. 0 when unknown.
std::uint64_t tcp_bytes_received(int fd);

}  // namespace wsgw::bench
