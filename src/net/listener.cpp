#include "net/listener.hpp"

#include <boost/asio/post.hpp>

#include "net/http_session.hpp"
#include "net/logging.hpp"
#include "net/tls_context.hpp"

namespace wsgw {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(std::vector<std::unique_ptr<Shard>>& shards, GatewayContext& ctx, const ListenAddress& address)
    : shards_(shards), ctx_(ctx), acceptor_(shards.front()->ioc), backoff_(shards.front()->ioc) {
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
        // Frames are small and latency matters more than packet count.
        socket.set_option(tcp::no_delay(true), ignored);
        asio::post(shard.ioc, [s = std::move(socket), &shard, &ctx = self->ctx_]() mutable {
            if (ctx.tls) {
                // The session keeps the context it starts with; SIGHUP swaps it for new sockets.
                auto tls = ctx.tls->current();
                TlsStream stream(std::move(s), *tls);
                std::make_shared<HttpSession<TlsStream>>(std::move(stream), shard, ctx, std::move(tls))->start();
            } else {
                std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(s)), shard, ctx, nullptr)->start();
            }
        });
        self->accept();
    });
}

}  // namespace wsgw
