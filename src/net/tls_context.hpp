#pragma once
// The server's TLS configuration: certificate chain and key loaded from files, TLS 1.2 or later.
// reload() (on SIGHUP) swaps in a new context for new connections; open connections keep the
// context they started with.
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>

namespace wsgw {

class TlsContextStore {
public:
    // Throws std::runtime_error naming the file that could not be loaded.
    TlsContextStore(std::string cert_file, std::string key_file);

    std::shared_ptr<boost::asio::ssl::context> current() const;
    // Keeps the old context and returns false (with `error`) when the files do not load.
    bool reload(std::string& error);

private:
    std::shared_ptr<boost::asio::ssl::context> load() const;

    std::string cert_file_;
    std::string key_file_;
    mutable std::mutex mutex_;
    std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace wsgw
