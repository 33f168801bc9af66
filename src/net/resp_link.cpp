#include "net/resp_link.hpp"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

namespace wsgw {

namespace asio = boost::asio;
using generic_protocol = asio::generic::stream_protocol;

std::string resp_command(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) out.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
    return out;
}

std::shared_ptr<RespLink> RespLink::create(asio::any_io_executor executor, std::size_t max_reply_bytes, OnReply on_reply,
                                           OnLost on_lost) {
    return std::shared_ptr<RespLink>(
        new RespLink(std::move(executor), max_reply_bytes, std::move(on_reply), std::move(on_lost)));
}

RespLink::RespLink(asio::any_io_executor executor, std::size_t max_reply_bytes, OnReply on_reply, OnLost on_lost)
    : executor_(executor),
      on_reply_(std::move(on_reply)),
      on_lost_(std::move(on_lost)),
      socket_(executor),
      resolver_(executor),
      deadline_(executor),
      reader_(redisReaderCreate()),
      in_(16 * 1024),
      max_reply_bytes_(max_reply_bytes) {}

RespLink::~RespLink() {
    if (reader_) redisReaderFree(reader_);
}

void RespLink::connect(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout) {
    auto self = shared_from_this();
    deadline_.expires_after(timeout);
    deadline_.async_wait([self, timeout](const boost::system::error_code& ec) {
        if (!ec && !self->connected_) self->lost("not connected within " + std::to_string(timeout.count()) + " ms");
    });
    if (!endpoint.password.empty()) {
        std::vector<std::string> auth{"AUTH"};
        if (!endpoint.username.empty()) auth.push_back(endpoint.username);
        auth.push_back(endpoint.password);
        out_.insert(0, resp_command(auth));
        swallow_auth_ = true;
    }
    if (endpoint.unix_socket) {
        generic_protocol::endpoint ep{asio::local::stream_protocol::endpoint(endpoint.path)};
        socket_.async_connect(ep, [self](const boost::system::error_code& ec) {
            if (self->closed_) return;
            if (ec) return self->lost(ec.message());
            self->on_connected();
        });
        return;
    }
    resolver_.async_resolve(endpoint.host, std::to_string(endpoint.port),
                            [self](const boost::system::error_code& ec, asio::ip::tcp::resolver::results_type results) {
                                if (self->closed_) return;
                                if (ec) return self->lost("resolve: " + ec.message());
                                std::vector<generic_protocol::endpoint> eps;
                                for (const auto& r : results) eps.emplace_back(r.endpoint());
                                asio::async_connect(self->socket_, eps,
                                                    [self](const boost::system::error_code& ec2, const generic_protocol::endpoint&) {
                                                        if (self->closed_) return;
                                                        if (ec2) return self->lost(ec2.message());
                                                        self->on_connected();
                                                    });
                            });
}

void RespLink::on_connected() {
    connected_ = true;
    deadline_.cancel();
    if (socket_.local_endpoint().protocol().family() != AF_UNIX) {
        // Subscription traffic is small and latency-bound.
        const int one = 1;
        ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    read();
    write();
}

void RespLink::send(const std::vector<std::string>& args) {
    if (closed_) return;
    out_ += resp_command(args);
    if (connected_) write();
}

void RespLink::write() {
    if (closed_ || !writing_.empty() || out_.empty()) return;
    writing_.swap(out_);
    asio::async_write(socket_, asio::buffer(writing_), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
        if (self->closed_) return;
        if (ec) return self->lost("write: " + ec.message());
        self->writing_.clear();
        self->write();
    });
}

void RespLink::read() {
    socket_.async_read_some(asio::buffer(in_), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->closed_) return;
        if (ec) return self->lost(ec == asio::error::eof ? "connection closed by the server" : ec.message());
        if (redisReaderFeed(self->reader_, self->in_.data(), n) != REDIS_OK) return self->lost("reader out of memory");
        self->buffered_ += n;
        for (;;) {
            void* reply = nullptr;
            if (redisReaderGetReply(self->reader_, &reply) != REDIS_OK)
                return self->lost(std::string("protocol error: ") + self->reader_->errstr);
            if (!reply) break;
            self->buffered_ = 0;
            auto* r = static_cast<redisReply*>(reply);
            if (self->swallow_auth_) {
                self->swallow_auth_ = false;
                if (r->type == REDIS_REPLY_ERROR) {
                    std::string cause = "AUTH refused: " + std::string(r->str, r->len);
                    freeReplyObject(r);
                    return self->lost(cause);
                }
                freeReplyObject(r);
                continue;
            }
            self->on_reply_(r);
            freeReplyObject(r);
            if (self->closed_) return;  // the handler closed the link
        }
        if (self->buffered_ > self->max_reply_bytes_)
            return self->lost("a reply exceeds " + std::to_string(self->max_reply_bytes_) + " bytes");
        self->read();
    });
}

void RespLink::lost(const std::string& cause) {
    if (closed_) return;
    close();
    if (on_lost_) {
        auto handler = std::move(on_lost_);
        handler(cause);
    }
}

void RespLink::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    deadline_.cancel();
    resolver_.cancel();
    socket_.close(ignored);
}

}  // namespace wsgw
