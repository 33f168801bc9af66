#pragma once
// What the rooms that find the node to subscribe to (net/sentinel_watch.hpp,
// net/cluster_router.hpp) report to the subscriber: the same three events for both.
#include <functional>
#include <string>

#include "wsgw/endpoints.hpp"

namespace wsgw {

struct RedisNodeEvents {
    // Subscribe there. Not called from inside hiredis.
    std::function<void(const RedisEndpoint& node)> found;
    // No node can be named now: the subscriber tries again later.
    std::function<void()> not_found;
    // The node subscribed to is no longer the one to be on (a failover, a node that left): the
    // subscription is dropped, and the node found again. May run inside hiredis's call stack.
    std::function<void(const std::string& cause)> moved;
};

}  // namespace wsgw
