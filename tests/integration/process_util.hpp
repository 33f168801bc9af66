#pragma once
// Child processes and ports for the integration tests.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace wsgw::test {

// A loopback TCP port that was free a moment ago.
std::uint16_t free_port();

// A blocking TCP socket connected to 127.0.0.1:`port`, or -1 when nothing accepts there.
int connect_loopback(std::uint16_t port);

// Starts `argv` with `env` added to (and overriding) the current environment; stdout and stderr
// go to `log_path` (or are discarded when empty). Returns the pid.
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& log_path);

// Waits for the process to exit; returns its exit code, 128+signal, or -1 on timeout.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout);

std::string read_file(const std::string& path);

// Polls `pred` until it holds or `timeout` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        struct timespec ts{0, 20'000'000};
        nanosleep(&ts, nullptr);
    }
    return pred();
}

}  // namespace wsgw::test
