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
    // TLS 1.2: the "intermediate" profile's suites, every one with forward secrecy and an AEAD
    // cipher (no CBC, no static RSA key exchange), chosen in the server's order. TLS 1.3's
    // suites are all of that kind and keep OpenSSL's defaults. DHE needs DH parameters: OpenSSL
    // picks them to match the certificate's strength.
    static constexpr const char* kTls12Ciphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
        "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
    if (SSL_CTX_set_cipher_list(ctx->native_handle(), kTls12Ciphers) != 1)
        throw std::runtime_error("tls: this OpenSSL offers none of the TLS 1.2 cipher suites");
    SSL_CTX_set_dh_auto(ctx->native_handle(), 1);
    SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
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
