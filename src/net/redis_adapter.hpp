#pragma once
// Drives a hiredis redisAsyncContext from an Asio executor: hiredis's fd is watched with a
// posix::stream_descriptor and async_wait(wait_read / wait_write), re-armed while hiredis wants
// it. No second event loop, no polling thread.
#include <boost/asio/any_io_executor.hpp>

struct redisAsyncContext;

namespace wsgw {

// Returns false when the context already has an adapter or its fd cannot be watched.
// The adapter lives until hiredis calls its cleanup hook (when the context is freed).
bool attach_asio(redisAsyncContext* ac, const boost::asio::any_io_executor& executor);

}  // namespace wsgw
