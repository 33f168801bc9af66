#pragma once
// One judgement, for every transport, of which errors are a client going away rather than a
// fault: a TCP close or reset, a TLS peer that closed TCP without close_notify (browsers
// routinely do: stream_truncated), or HTTP's end of stream between requests. Sessions count
// such an end as the client's close, and nothing logs it as an error.
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>

namespace wsgw {

inline bool is_expected_disconnect(const boost::system::error_code& ec) noexcept {
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset ||
           ec == boost::asio::error::broken_pipe || ec == boost::asio::ssl::error::stream_truncated ||
           ec == boost::beast::http::error::end_of_stream;
}

}  // namespace wsgw
