#include "net/redis_client.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/post.hpp>

#include "net/redis_adapter.hpp"

namespace wsgw {

namespace asio = boost::asio;

RedisClient::RedisClient(asio::any_io_executor executor, LostHandler on_lost)
    : executor_(std::move(executor)), on_lost_(std::move(on_lost)), deadline_(executor_) {}

RedisClient::~RedisClient() { close(); }

std::string RedisClient::endpoint_text(const RedisEndpoint& ep) {
    if (ep.unix_socket) return "unix://" + ep.path;
    bool v6 = ep.host.find(':') != std::string::npos;
    return (v6 ? "[" + ep.host + "]" : ep.host) + ":" + std::to_string(ep.port);
}

bool RedisClient::connect(const RedisEndpoint& ep, std::chrono::milliseconds timeout, std::string& error) {
    close();
    redisAsyncContext* c = ep.unix_socket ? redisAsyncConnectUnix(ep.path.c_str())
                                          : redisAsyncConnect(ep.host.c_str(), ep.port);
    if (!c) {
        error = "out of memory";
        return false;
    }
    if (c->err) {
        error = c->errstr;
        redisAsyncFree(c);
        return false;
    }
    if (!attach_asio(c, executor_)) {
        error = "cannot watch the socket";
        redisAsyncFree(c);
        return false;
    }
    ac_ = c;
    ++generation_;
    auth_error_.clear();
    c->data = this;
    redisAsyncSetConnectCallback(c, &RedisClient::on_connect);
    redisAsyncSetDisconnectCallback(c, &RedisClient::on_disconnect);
    if (!ep.password.empty()) {
        std::vector<std::string> auth = {"AUTH"};
        if (!ep.username.empty()) auth.push_back(ep.username);
        auth.push_back(ep.password);
        command(auth, [this](redisReply* r) {
            if (!r || r->type != REDIS_REPLY_ERROR) return;
            // hiredis may drop the connection on the next error reply (the queued command's
            // NOAUTH) before fail() runs; the refused AUTH is the cause worth reporting.
            auth_error_ = "AUTH refused: " + std::string(r->str, r->len);
            fail(auth_error_);
        });
    }
    deadline_.expires_after(timeout);
    deadline_.async_wait([this, gen = generation_](const boost::system::error_code& ec) {
        if (!ec && gen == generation_ && ac_) lost("timed out connecting", /*hiredis_frees=*/false);
    });
    return true;
}

void RedisClient::mark_ready() { deadline_.cancel(); }

void RedisClient::close() {
    deadline_.cancel();
    if (ac_) {
        auto* c = ac_;
        ac_ = nullptr;
        ++generation_;
        redisAsyncFree(c);  // handlers get null replies; on_lost stays quiet (c != ac_)
    }
    handlers_.clear();
}

void RedisClient::fail(std::string cause) {
    // Posted: this may run inside a hiredis callback, where freeing the context is not allowed.
    asio::post(executor_, [this, gen = generation_, cause = std::move(cause)] {
        if (gen == generation_ && ac_) lost(cause, /*hiredis_frees=*/false);
    });
}

void RedisClient::lost(const std::string& cause, bool hiredis_frees) {
    auto* c = ac_;
    if (!c) return;
    ac_ = nullptr;
    ++generation_;
    deadline_.cancel();
    if (!hiredis_frees) {
        redisAsyncFree(c);
        handlers_.clear();
    }
    // With hiredis freeing, handlers are still being called; they are cleared on the next
    // connect() or close().
    if (on_lost_) on_lost_(auth_error_.empty() ? cause : auth_error_);
}

void RedisClient::command(const std::vector<std::string>& args, ReplyHandler handler, bool subscription) {
    if (!ac_) {
        if (handler) handler(nullptr);
        return;
    }
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    handlers_.push_back(Handler{this, std::move(handler), subscription, {}});
    auto it = std::prev(handlers_.end());
    it->self = it;
    if (redisAsyncCommandArgv(ac_, &RedisClient::on_reply, &*it, static_cast<int>(argv.size()), argv.data(),
                              lens.data()) != REDIS_OK) {
        auto fn = std::move(it->fn);
        handlers_.erase(it);
        if (fn) fn(nullptr);
    }
}

void RedisClient::on_connect(const redisAsyncContext* c, int status) {
    auto* self = static_cast<RedisClient*>(c->data);
    if (!self || c != self->ac_ || status == REDIS_OK) return;
    // hiredis frees the context right after this callback.
    self->lost(c->errstr ? c->errstr : "connect failed", /*hiredis_frees=*/true);
}

void RedisClient::on_disconnect(const redisAsyncContext* c, int) {
    auto* self = static_cast<RedisClient*>(c->data);
    if (!self || c != self->ac_) return;
    self->lost(c->err && c->errstr ? c->errstr : "connection closed", /*hiredis_frees=*/true);
}

void RedisClient::on_reply(redisAsyncContext* c, void* r, void* privdata) {
    auto* h = static_cast<Handler*>(privdata);
    RedisClient* self = h->owner;
    auto* reply = static_cast<redisReply*>(r);
    if (!reply && c == self->ac_) {
        // hiredis is tearing the connection down (peer closed, read error) and reports each
        // pending callback first; the loss is reported once, here or in on_disconnect.
        self->lost(c->err && c->errstr ? c->errstr : "connection closed", /*hiredis_frees=*/true);
    }
    if (c != self->ac_ && reply) return;  // a stale connection's late reply
    // Handlers must not close() or destroy this client synchronously (use fail()): hiredis is
    // still inside its read loop.
    if (h->fn) h->fn(reply);
    if (!h->subscription && c == self->ac_) self->handlers_.erase(h->self);
}

}  // namespace wsgw
