#include "net/function_library.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>
#include <boost/asio/post.hpp>

#include "net/logging.hpp"
#include "net/redis_client.hpp"
#include "net/redis_reply.hpp"
#include "net/resp_link.hpp"
#include "wsgw/sharded_contract.hpp"

namespace wsgw {

FunctionLibrary::FunctionLibrary(boost::asio::any_io_executor executor, std::string source,
                                 std::size_t max_reply_bytes, std::chrono::milliseconds connect_timeout,
                                 Metrics& metrics)
    : executor_(std::move(executor)),
      source_(std::move(source)),
      max_reply_bytes_(max_reply_bytes),
      connect_timeout_(connect_timeout),
      metrics_(metrics) {}

FunctionLibrary::~FunctionLibrary() { stop(); }

void FunctionLibrary::stop() {
    for (auto& [node, link] : loading_) link->close();
    loading_.clear();
    loaded_on_.clear();
}

std::vector<std::string> FunctionLibrary::load_command() const { return {"FUNCTION", "LOAD", "REPLACE", source_}; }

void FunctionLibrary::report(const std::string& node, std::string_view error, bool announce) {
    if (error.empty()) {
        Metrics::add(metrics_.function_loads_ok);
        log::event(announce ? log::Level::info : log::Level::debug, "redis_function_loaded",
                   {{"redis", node}, {"library", kPublishLibrary}});
        return;
    }
    Metrics::add(metrics_.function_loads_failed);
    log::error("redis_function_load_failed",
               {{"redis", node}, {"library", kPublishLibrary}, {"error", error},
                {"hint", "sharded mode needs Redis 7 with FUNCTION and the permission to load it"}});
}

void FunctionLibrary::primaries_changed(const std::vector<RedisEndpoint>& primaries, bool reconnected) {
    std::vector<std::string> names;
    for (const auto& p : primaries) names.push_back(RedisClient::endpoint_text(p));
    std::sort(names.begin(), names.end());
    if (!reconnected && names == loaded_on_) return;
    loaded_on_ = std::move(names);
    for (const auto& p : primaries) load(p);
}

void FunctionLibrary::load(const RedisEndpoint& endpoint) {
    auto node = RedisClient::endpoint_text(endpoint);
    if (loading_.count(node)) return;
    // Once per load: the reply, or the link lost before it.
    auto done = [this, node, reported = std::make_shared<bool>(false)](std::string_view error) {
        if (*reported) return;
        *reported = true;
        report(node, error, /*announce=*/true);
        // Closed outside the link's own handler, unless this object is gone by then.
        boost::asio::post(executor_, [this, node, alive = std::weak_ptr<void>(alive_)] {
            if (alive.expired()) return;
            if (auto it = loading_.find(node); it != loading_.end()) {
                it->second->close();
                loading_.erase(it);
            }
        });
    };
    auto link = RespLink::create(
        executor_, max_reply_bytes_,
        [done](redisReply* r) { done(r->type == REDIS_REPLY_ERROR ? text(r) : std::string_view{}); },
        [done](const std::string& cause) { done(cause.empty() ? std::string_view("connection lost") : cause); });
    loading_[node] = link;
    link->connect(endpoint, connect_timeout_);
    link->send(load_command());
}

}  // namespace wsgw
