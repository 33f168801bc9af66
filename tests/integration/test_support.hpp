#pragma once
// Small helpers shared by the integration suites.
#include <unistd.h>

#include <atomic>
#include <string>

#include "process_util.hpp"

namespace wsgw::test {

inline std::string unique_user(const char* prefix = "u") {
    static std::atomic<int> n{0};
    return std::string(prefix) + std::to_string(::getpid()) + "x" + std::to_string(++n);
}

inline std::string read_fixture(const std::string& name) {
    auto text = read_file(std::string(WSGW_FIXTURES_DIR) + "/spec/" + name);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

// Runs a shell command (openssl and the like); returns its exit status.
int run_shell(const std::string& command);

// A fresh temporary directory, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Writes a self-signed certificate for CN=`common_name` and its key as cert.pem / key.pem.
void make_certificate(const TempDir& dir, const std::string& common_name);

// Resident set size of a process in KiB (0 when unknown).
long rss_kib(pid_t pid);

}  // namespace wsgw::test
