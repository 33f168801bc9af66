#pragma once
// The two transports one session template serves: plain TCP and TLS over TCP.
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <type_traits>

namespace wsgw {

// Every socket lives on one shard's io_context; its executor type is one pointer, where
// any_io_executor is several words held by every socket, timer and pending operation.
using ShardExecutor = boost::asio::io_context::executor_type;
using ShardSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, ShardExecutor>;
using PlainStream = boost::beast::basic_stream<boost::asio::ip::tcp, ShardExecutor, boost::beast::unlimited_rate_policy>;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
// Every session's timers: on the shard's executor, like its socket.
using ShardTimer = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                     boost::asio::wait_traits<std::chrono::steady_clock>, ShardExecutor>;

template <class Stream>
inline constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

}  // namespace wsgw
