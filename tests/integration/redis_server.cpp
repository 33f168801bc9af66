#include "redis_server.hpp"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/wait.h>

#include <memory>
#include <sstream>
#include <stdexcept>

#include "process_util.hpp"

namespace wsgw::test {

namespace {
using ContextPtr = std::unique_ptr<redisContext, RedisServer::ContextFree>;

ContextPtr connect(std::uint16_t port, const std::string& password = "") {
    timeval tv{1, 0};
    ContextPtr c(redisConnectWithTimeout("127.0.0.1", port, tv));
    if (!c || c->err) return nullptr;
    redisSetTimeout(c.get(), tv);
    if (!password.empty()) {
        auto* r = static_cast<redisReply*>(redisCommand(c.get(), "AUTH %b", password.data(), password.size()));
        bool ok = r && r->type == REDIS_REPLY_STATUS;
        if (r) freeReplyObject(r);
        if (!ok) return nullptr;
    }
    return c;
}
}  // namespace

void RedisServer::ContextFree::operator()(redisContext* c) const { redisFree(c); }

RedisServer::RedisServer(std::uint16_t port, const std::string& extra_args)
    : port_(port ? port : free_port()), extra_args_(extra_args) {
    start();
}

RedisServer::~RedisServer() {
    if (pid_ > 0) {
        ::kill(pid_, SIGCONT);
        ::kill(pid_, SIGKILL);
        wait_exit(pid_, std::chrono::milliseconds(5000));
    }
}

void RedisServer::start() {
    std::vector<std::string> argv = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--daemonize", "no"};
    std::istringstream extra(extra_args_);
    for (std::string a; extra >> a;) argv.push_back(a);
    pid_ = spawn(argv, {}, "");
    bool up = eventually([&] {
        auto c = connect(port_);
        if (!c) return false;
        auto* r = static_cast<redisReply*>(redisCommand(c.get(), "PING"));
        bool ok = r && r->type == REDIS_REPLY_STATUS;
        if (r) freeReplyObject(r);
        return ok;
    });
    if (!up) throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
}

void RedisServer::kill_hard() {
    publisher_.reset();
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait_exit(pid_, std::chrono::milliseconds(5000));
    pid_ = -1;
}

void RedisServer::require_password(const std::string& password) {
    auto c = connect(port_, password_);
    if (!c) throw std::runtime_error("cannot reach redis-server to set a password");
    auto* r = static_cast<redisReply*>(redisCommand(c.get(), "CONFIG SET requirepass %b", password.data(), password.size()));
    bool ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    if (!ok) throw std::runtime_error("CONFIG SET requirepass failed");
    password_ = password;
    publisher_.reset();
}

void RedisServer::freeze() {
    publisher_.reset();
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::thaw() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
}

long long RedisServer::publish(const std::string& channel, const std::string& payload) const {
    return publish_with("PUBLISH", channel, payload);
}

long long RedisServer::spublish(const std::string& channel, const std::string& payload) const {
    return publish_with("SPUBLISH", channel, payload);
}

long long RedisServer::publish_with(const char* command, const std::string& channel, const std::string& payload) const {
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!publisher_) publisher_ = connect(port_, password_);
        if (!publisher_) return -1;
        auto* r = static_cast<redisReply*>(redisCommand(publisher_.get(), "%s %b %b", command, channel.data(),
                                                        channel.size(), payload.data(), payload.size()));
        if (!r) {  // the connection broke (a restarted server): reconnect once
            publisher_.reset();
            continue;
        }
        long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
        freeReplyObject(r);
        return n;
    }
    return -1;
}

std::string RedisServer::command(const std::string& cmd) const { return redis_command(port_, cmd); }

std::string RedisServer::fcall_publish(const std::string& user, const std::string& channel,
                                       const std::string& message) const {
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!publisher_) publisher_ = connect(port_, password_);
        if (!publisher_) return "ERR no connection";
        const char* argv[] = {"FCALL", "wsgw_publish", "1", user.c_str(), channel.c_str(), message.c_str()};
        const std::size_t lens[] = {5, 12, 1, user.size(), channel.size(), message.size()};
        auto* r = static_cast<redisReply*>(redisCommandArgv(publisher_.get(), 6, argv, lens));
        if (!r) {
            publisher_.reset();
            continue;
        }
        std::string out = r->str ? std::string(r->str, r->len) : "";
        freeReplyObject(r);
        return out;
    }
    return "ERR no connection";
}

std::vector<std::string> fcall_publish_burst(std::uint16_t port, const std::vector<Publish>& burst) {
    std::vector<std::string> out(burst.size(), "ERR no connection");
    auto c = connect(port);
    if (!c) return out;
    for (const auto& p : burst) {
        const char* argv[] = {"FCALL", "wsgw_publish", "1", p.user.c_str(), p.channel.c_str(), p.message.c_str()};
        const std::size_t lens[] = {5, 12, 1, p.user.size(), p.channel.size(), p.message.size()};
        redisAppendCommandArgv(c.get(), 6, argv, lens);
    }
    bool lost = false;
    for (auto& reply : out) {
        void* r = nullptr;
        if (lost || redisGetReply(c.get(), &r) != REDIS_OK || !r) {
            lost = true;
            reply = "ERR no reply";
            continue;
        }
        auto* rr = static_cast<redisReply*>(r);
        reply = rr->str ? std::string(rr->str, rr->len) : "";
        freeReplyObject(rr);
    }
    return out;
}

std::string fcall_publish(std::uint16_t port, const std::string& user, const std::string& channel,
                          const std::string& message) {
    return fcall_publish_burst(port, {{user, channel, message}}).front();
}

std::string redis_command(std::uint16_t port, const std::string& cmd) {
    auto c = connect(port);
    if (!c) return "";
    auto* r = static_cast<redisReply*>(redisCommand(c.get(), cmd.c_str()));
    std::string out;
    if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)) out.assign(r->str, r->len);
    if (r && r->type == REDIS_REPLY_INTEGER) out = std::to_string(r->integer);
    if (r) freeReplyObject(r);
    return out;
}

}  // namespace wsgw::test
