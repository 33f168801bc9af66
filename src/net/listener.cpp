#include "net/listener.hpp"

#include <boost/asio/post.hpp>

#include "net/http_session.hpp"
#include "net/logging.hpp"
#include "net/tls_context.hpp"

namespace wsgw {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(std::vector<std::unique_ptr<Shard>>& shards, GatewayContext& ctx, const ListenAddress& address,
                   Role role)
    : shards_(shards), ctx_(ctx), acceptor_(shards.front()->ioc), backoff_(shards.front()->ioc), role_(role) {
    tcp::endpoint endpoint(asio::ip::make_address(address.host), address.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Listener::start() { accept(); }

void Listener::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
}

void Listener::accept() {
    Shard& shard = *shards_[next_];
    next_ = (next_ + 1) % shards_.size();
    acceptor_.async_accept(shard.ioc, [self = shared_from_this(), &shard](boost::system::error_code ec, ShardSocket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
            // Out of descriptors (EMFILE/ENFILE) and the like: pause instead of spinning on a
            // listen queue that cannot be served.
            log::error("accept_failed", {{"error", ec.message()}});
            self->backoff_.expires_after(std::chrono::milliseconds(100));
            self->backoff_.async_wait([self](boost::system::error_code e) {
                if (!e) self->accept();
            });
            return;
        }
        boost::system::error_code ignored;
        // Connections that have not authenticated yet are bounded: each holds a socket and a
        // request buffer, and a client that opens many and sends nothing must not exhaust them.
        // Past the bound a connection is closed before anything is read from it.
        auto& pending = self->ctx_.metrics.connections_pending;
        if (pending.load(std::memory_order_relaxed) >= static_cast<std::int64_t>(self->ctx_.max_pending_connections)) {
            self->ctx_.metrics.count_http_rejection(HttpRejection::over_pending_limit);
            std::uint64_t suppressed = 0;
            if (self->refused_log_.allow(std::chrono::steady_clock::now(), suppressed) || suppressed)
                log::warn("limit_reached", {{"limit", "max_pending_connections"},
                                            {"pending", pending.load(std::memory_order_relaxed)},
                                            {"suppressed_before", suppressed}});
            socket.close(ignored);
            return self->accept();
        }
        pending.fetch_add(1, std::memory_order_relaxed);  // given back by the HTTP session
        // Frames are small and latency matters more than packet count.
        socket.set_option(tcp::no_delay(true), ignored);
        const bool internal = self->role_ == Role::internal;
        asio::post(shard.ioc, [s = std::move(socket), &shard, &ctx = self->ctx_, internal]() mutable {
            if (internal) {
                std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(s)), shard, ctx, nullptr, true)->start();
            } else if (ctx.tls) {
                // The session keeps the context it starts with; SIGHUP swaps it for new sockets.
                auto tls = ctx.tls->current();
                TlsStream stream(std::move(s), *tls);
                std::make_shared<HttpSession<TlsStream>>(std::move(stream), shard, ctx, std::move(tls), false)->start();
            } else {
                std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(s)), shard, ctx, nullptr, false)->start();
            }
        });
        self->accept();
    });
}

}  // namespace wsgw
