#pragma once
// A real redis-server on a free loopback port, for one test suite.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct redisContext;

namespace wsgw::test {

// Sends one command to the server (or sentinel) on `port`; the reply as text ("" on error or for
// array replies).
std::string redis_command(std::uint16_t port, const std::string& cmd);
// FCALL wsgw_publish on the server on `port` (see RedisServer::fcall_publish).
std::string fcall_publish(std::uint16_t port, const std::string& user, const std::string& channel,
                          const std::string& message);
// The same for many messages at once, pipelined on one connection: they reach the server as one
// burst. A reply (or the error) per message, in order.
struct Publish {
    std::string user, channel, message;
};
std::vector<std::string> fcall_publish_burst(std::uint16_t port, const std::vector<Publish>& burst);

class RedisServer {
public:
    // Starts redis-server (from PATH) and waits until it answers PING. extra_args are appended.
    explicit RedisServer(std::uint16_t port = 0, const std::string& extra_args = "");
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

    // PUBLISH; returns the number of subscribers that received it (the gateway counts as one).
    long long publish(const std::string& channel, const std::string& payload) const;
    // Sends any command and returns the reply as text ("" on error).
    std::string command(const std::string& cmd) const;
    // SPUBLISH; returns the number of shard-channel subscribers that received it.
    long long spublish(const std::string& channel, const std::string& payload) const;
    // Sharded mode's publish: FCALL wsgw_publish 1 <user> <channel> <message>. The message id,
    // or "ERR ..." as the server refused it.
    std::string fcall_publish(const std::string& user, const std::string& channel, const std::string& message) const;

    // Requires a password from now on (CONFIG SET requirepass); this object keeps using it.
    void require_password(const std::string& password);

    void kill_hard();  // SIGKILL, no cleanup
    void freeze();     // SIGSTOP: the process holds its sockets but answers nothing
    void thaw();       // SIGCONT
    void start();      // (re)start on the same port
    bool running() const { return pid_ > 0; }

    struct ContextFree {
        void operator()(redisContext* c) const;
    };

private:
    long long publish_with(const char* command, const std::string& channel, const std::string& payload) const;

    std::uint16_t port_;
    std::string extra_args_;
    pid_t pid_ = -1;
    std::string password_;
    mutable std::unique_ptr<redisContext, ContextFree> publisher_;  // reused across publishes
};

}  // namespace wsgw::test
