#pragma once
// Accepts TCP connections on the first shard and deals them round-robin to every shard, so each
// socket (and its session) lives on one thread for its whole life.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "net/gateway_context.hpp"
#include "net/shard.hpp"
#include "wsgw/config.hpp"
#include "wsgw/log_limiter.hpp"

namespace wsgw {

class Listener : public std::enable_shared_from_this<Listener> {
public:
    // The public listener serves clients (TLS when configured); the internal one, plain HTTP on
    // an address only the cluster reaches, serves /metrics and the probes.
    enum class Role { public_api, internal };
    // Throws boost::system::system_error when the address cannot be bound.
    Listener(std::vector<std::unique_ptr<Shard>>& shards, GatewayContext& ctx, const ListenAddress& address, Role role);
    void start();
    void stop();
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

private:
    void accept();

    std::vector<std::unique_ptr<Shard>>& shards_;
    GatewayContext& ctx_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;
    std::size_t next_ = 0;
    Role role_;
    LogLimiter refused_log_{10};  // accept handlers run on one thread
};

}  // namespace wsgw
