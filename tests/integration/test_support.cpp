#include "test_support.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace wsgw::test {

int run_shell(const std::string& command) { return std::system(command.c_str()); }

TempDir::TempDir() {
    char tmpl[] = "/tmp/wsgw-it-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() { run_shell("rm -rf '" + path_ + "'"); }

void make_certificate(const TempDir& dir, const std::string& common_name) {
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=" + common_name + "' -keyout '" +
                      dir.file("key.pem.tmp") + "' -out '" + dir.file("cert.pem.tmp") + "' >/dev/null 2>&1 && mv '" +
                      dir.file("key.pem.tmp") + "' '" + dir.file("key.pem") + "' && mv '" + dir.file("cert.pem.tmp") +
                      "' '" + dir.file("cert.pem") + "'";
    if (run_shell(cmd) != 0) throw std::runtime_error("openssl could not make a test certificate");
}

long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return 0;
}

}  // namespace wsgw::test
