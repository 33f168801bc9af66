// ws-gateway-floor: the kernel's CPU cost of the write a delivery needs, measured the way the
// gateway writes: small frames to many loopback TCP sockets, round robin, TCP_NODELAY, one
// writev of K frames per write (the gateway gathers the frames queued for a socket into one).
// On loopback the sender's CPU also carries the receiver's TCP processing, as it does for the
// gateway in bench/run.sh, so the two figures are comparable.
//
//   ws-gateway-floor [--sockets 2000] [--frames 200000] [--frame-bytes 130] [--batch K]...
//
// One JSON line per batch size: the writing thread's CPU per frame and per write (from
// CLOCK_THREAD_CPUTIME_ID). A second thread drains the receiving ends with epoll.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
    int sockets = 2000;
    long frames = 200'000;
    int frame_bytes = 130;  // a notification frame: 2-byte header and a ~128-byte JSON message
    std::vector<int> batches;
};

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "ws-gateway-floor: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

double thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// `n` connected pairs over 127.0.0.1: senders[i] -> receivers[i].
void connect_pairs(int n, std::vector<int>& senders, std::vector<int>& receivers) {
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) die("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
    if (::listen(listener, 4096) != 0) die("listen");
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    for (int i = 0; i < n; ++i) {
        int client = ::socket(AF_INET, SOCK_STREAM, 0);
        if (client < 0) die("socket (raise ulimit -n)");
        if (::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
        int server = ::accept(listener, nullptr, nullptr);
        if (server < 0) die("accept");
        int one = 1;
        ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        senders.push_back(server);  // the gateway's side: accepted sockets
        receivers.push_back(client);
    }
    ::close(listener);
}

// Drains every receiver until `expected` bytes have arrived.
void drain(const std::vector<int>& receivers, long long expected) {
    int ep = ::epoll_create1(0);
    for (int fd : receivers) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    std::vector<epoll_event> events(256);
    std::vector<char> buffer(1 << 16);
    long long got = 0;
    while (got < expected) {
        int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
        for (int i = 0; i < n; ++i) {
            for (;;) {
                auto r = ::recv(events[i].data.fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
                if (r <= 0) break;
                got += r;
            }
        }
    }
    ::close(ep);
}

void run(const Options& o, int batch, const std::vector<int>& senders, const std::vector<int>& receivers) {
    const std::string frame(static_cast<std::size_t>(o.frame_bytes), 'x');
    std::vector<iovec> iov(static_cast<std::size_t>(batch));
    for (auto& v : iov) v = {const_cast<char*>(frame.data()), frame.size()};
    const long writes = o.frames / batch;
    const long long expected = static_cast<long long>(writes) * batch * o.frame_bytes;
    std::thread reader([&] { drain(receivers, expected); });

    const double t0 = thread_cpu_ns();
    long blocked = 0;
    for (long w = 0; w < writes; ++w) {
        int fd = senders[static_cast<std::size_t>(w % static_cast<long>(senders.size()))];
        std::size_t left = static_cast<std::size_t>(batch) * frame.size();
        while (left > 0) {
            // Kept simple: a short write (never seen at these sizes) restarts the whole batch's
            // remainder from the frame buffer; only the byte count matters to the receiver.
            iovec one{const_cast<char*>(frame.data()), std::min(left, frame.size())};
            ssize_t r = left == static_cast<std::size_t>(batch) * frame.size()
                            ? ::writev(fd, iov.data(), batch)
                            : ::writev(fd, &one, 1);
            if (r < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK) die("writev");
                ++blocked;
                pollfd p{fd, POLLOUT, 0};
                ::poll(&p, 1, 1000);
                continue;
            }
            left -= static_cast<std::size_t>(r);
        }
    }
    const double cpu = thread_cpu_ns() - t0;
    reader.join();
    std::printf(
        "{\"label\":\"floor\",\"mode\":\"floor\",\"batch\":%d,\"sockets\":%zu,\"frames\":%ld,\"frame_bytes\":%d,"
        "\"writes\":%ld,\"cpu_ns_per_write\":%.1f,\"cpu_ns_per_frame\":%.1f,\"blocked_writes\":%ld}\n",
        batch, senders.size(), writes * batch, o.frame_bytes, writes, cpu / static_cast<double>(writes),
        cpu / static_cast<double>(writes * batch), blocked);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> long {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "ws-gateway-floor: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return std::strtol(argv[++i], nullptr, 10);
        };
        if (a == "--sockets") o.sockets = static_cast<int>(next());
        else if (a == "--frames") o.frames = next();
        else if (a == "--frame-bytes") o.frame_bytes = static_cast<int>(next());
        else if (a == "--batch") o.batches.push_back(static_cast<int>(next()));
        else {
            std::fprintf(stderr, "usage: ws-gateway-floor [--sockets N] [--frames N] [--frame-bytes N] [--batch K]...\n");
            return 2;
        }
    }
    if (o.batches.empty()) o.batches = {1, 2, 4, 16};
    if (o.sockets < 1 || o.frames < 1 || o.frame_bytes < 1) {
        std::fprintf(stderr, "ws-gateway-floor: --sockets, --frames and --frame-bytes must be positive\n");
        return 2;
    }
    for (int b : o.batches)
        if (b < 1 || b > 1024) {
            std::fprintf(stderr, "ws-gateway-floor: --batch must be from 1 to 1024\n");
            return 2;
        }
    std::vector<int> senders, receivers;
    connect_pairs(o.sockets, senders, receivers);
    for (int b : o.batches) run(o, b, senders, receivers);
    for (int fd : senders) ::close(fd);
    for (int fd : receivers) ::close(fd);
    return 0;
}
