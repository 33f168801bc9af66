#pragma once
// The real ws-gateway binary, started as a child process on a free port.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "ws_client.hpp"

namespace wsgw::test {

inline const std::string kSecret = "integration-test-secret";

// An HS256 token for `user`, valid for `ttl` seconds (negative: already expired).
std::string make_token(const std::string& user, long long ttl = 3600, const std::string& secret = kSecret);

class GatewayProcess {
public:
    // Starts the gateway against `redis_url` with the test secret; `env` adds or overrides
    // WSGW_* settings. Waits for /healthz (and, if wait_ready, for /readyz == 200).
    // With `tls`, the probes use https.
    GatewayProcess(const std::string& redis_url, std::map<std::string, std::string> env = {}, bool wait_ready = true,
                   bool tls = false);
    ~GatewayProcess();
    GatewayProcess(const GatewayProcess&) = delete;
    GatewayProcess& operator=(const GatewayProcess&) = delete;

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    std::string log() const;
    // The value of an unlabelled metric, or of one sample "name{labels}", from /metrics (-1: absent).
    long long metric(const std::string& sample) const;
    bool ready() const { return get("/readyz").status == 200; }
    HttpResult get(const std::string& target) const { return tls_ ? https_get(port_, target) : http_get(port_, target); }

    // Sends `signo` (none when 0) and waits for the exit code (-1 on timeout).
    int stop(int signo, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

private:
    std::uint16_t port_;
    bool tls_;
    std::string log_path_;
    pid_t pid_ = -1;
};

}  // namespace wsgw::test
