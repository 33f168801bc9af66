#pragma once
// Sharded mode's `wsgw` function library (wsgw/sharded_contract.hpp), kept loaded on every
// primary, on the subscriber's thread.
//
// - `primaries_changed`: FUNCTION LOAD REPLACE on each primary, each over a short-lived
//   connection of its own, after a reconnect or whenever the set of primaries changes.
// - `load_command` and `report`: the same load sent by someone else (a shard-channel link loads
//   it before anything else, so a primary that came up empty has it before its users' traffic).
// Every outcome is counted (wsgw_function_loads_total) and logged; a failure names what the
// server said and what it needs.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wsgw/endpoints.hpp"
#include "wsgw/metrics.hpp"

namespace wsgw {

class RespLink;

class FunctionLibrary {
public:
    FunctionLibrary(boost::asio::any_io_executor executor, std::string source, std::size_t max_reply_bytes,
                    std::chrono::milliseconds connect_timeout, Metrics& metrics);
    ~FunctionLibrary();
    FunctionLibrary(const FunctionLibrary&) = delete;
    FunctionLibrary& operator=(const FunctionLibrary&) = delete;

    // Loads the library on every one of `primaries`, unless `reconnected` is false and they are
    // the primaries it was last loaded on.
    void primaries_changed(const std::vector<RedisEndpoint>& primaries, bool reconnected);
    // Closes the loads in flight; their outcome is not reported.
    void stop();

    // The command that loads the library.
    std::vector<std::string> load_command() const;
    // The outcome of a load on `node` (empty `error`: loaded). `announce`: logged at info level,
    // else at debug (a shard link loads it on every connect).
    void report(const std::string& node, std::string_view error, bool announce);

private:
    void load(const RedisEndpoint& endpoint);

    boost::asio::any_io_executor executor_;
    std::string source_;
    std::size_t max_reply_bytes_;
    std::chrono::milliseconds connect_timeout_;
    Metrics& metrics_;
    std::vector<std::string> loaded_on_;  // the primaries of the last load, sorted
    std::map<std::string, std::shared_ptr<RespLink>> loading_;
    std::shared_ptr<void> alive_ = std::make_shared<char>();  // expires with this object
};

}  // namespace wsgw
