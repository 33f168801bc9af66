#include "gateway_process.hpp"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "process_util.hpp"
#include "wsgw/auth.hpp"

namespace wsgw::test {

std::string make_token(const std::string& user, long long ttl, const std::string& secret) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return sign_hs256(nlohmann::json{{"sub", user}, {"exp", now + ttl}}.dump(), secret);
}

GatewayProcess::GatewayProcess(const std::string& redis_url, std::map<std::string, std::string> env, bool wait_ready,
                               bool tls)
    : port_(free_port()), tls_(tls) {
    static int counter = 0;
    log_path_ = "/tmp/wsgw-it-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".log";
    std::map<std::string, std::string> full = {{"WSGW_LISTEN", "127.0.0.1:" + std::to_string(port_)},
                                               {"WSGW_REDIS_URL", redis_url},
                                               {"WSGW_JWT_SECRET", kSecret},
                                               {"WSGW_THREADS", "2"},
                                               {"WSGW_REDIS_RECONNECT_MAX_MS", "500"}};
    for (auto& [k, v] : env) full[k] = v;
    pid_ = spawn({WSGW_GATEWAY_BIN}, full, log_path_);
    bool up = eventually([&] { return get("/healthz").status == 200; }, 10s);
    if (!up) throw std::runtime_error("gateway did not serve /healthz; log:\n" + log());
    if (wait_ready && !eventually([&] { return ready(); }, 10s))
        throw std::runtime_error("gateway did not become ready; log:\n" + log());
}

GatewayProcess::~GatewayProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait_exit(pid_, 5s);
    }
    // A failed test shows what the gateway said (sanitizer reports included).
    if (::testing::Test::HasFailure()) {
        auto text = log();
        if (text.size() > 20000) text = "...\n" + text.substr(text.size() - 20000);
        std::fprintf(stderr, "---- gateway log (%s) ----\n%s\n---- end of gateway log ----\n", log_path_.c_str(), text.c_str());
    }
    ::unlink(log_path_.c_str());
}

std::string GatewayProcess::log() const { return read_file(log_path_); }

long long GatewayProcess::metric(const std::string& sample) const {
    auto res = get("/metrics");
    std::istringstream in(res.body);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(sample + " ", 0) == 0) return std::stoll(line.substr(sample.size() + 1));
    }
    return -1;
}

int GatewayProcess::stop(int signo, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    if (signo) ::kill(pid_, signo);
    int code = wait_exit(pid_, timeout);
    if (code != -1) pid_ = -1;
    return code;
}

}  // namespace wsgw::test
