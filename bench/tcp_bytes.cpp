// Alone in its file: <linux/tcp.h> (whose tcp_info has the byte counters glibc's lacks) cannot
// be included beside <netinet/tcp.h>, which Asio brings in.
#include "tcp_bytes.hpp"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace wsgw::bench {

std::uint64_t tcp_bytes_received(int fd) {
    tcp_info info{};
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
    return info.tcpi_bytes_received;
}

}  // namespace wsgw::bench
