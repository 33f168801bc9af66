#include "net/tls_context.hpp"

#include <openssl/ssl.h>

#include <stdexcept>

namespace wsgw {

namespace ssl = boost::asio::ssl;

TlsContextStore::TlsContextStore(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)), current_(load()) {}

std::shared_ptr<ssl::context> TlsContextStore::load() const {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(cert_file_, ec);
    if (ec) throw std::runtime_error("tls_cert_file: cannot load " + cert_file_ + ": " + ec.message());
    ctx->use_private_key_file(key_file_, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("tls_key_file: cannot load " + key_file_ + ": " + ec.message());
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
        throw std::runtime_error("tls_key_file: " + key_file_ + " does not match " + cert_file_);
    return ctx;
}

std::shared_ptr<ssl::context> TlsContextStore::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

bool TlsContextStore::reload(std::string& error) {
    try {
        auto fresh = load();
        std::lock_guard lock(mutex_);
        current_ = std::move(fresh);
        return true;
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
}

}  // namespace wsgw
