#pragma once
// One authenticated WebSocket connection, over plain TCP or TLS. Lives on its shard's thread.
//
// The framing is the gateway's own (wsgw/ws_frame.hpp): server frames are built once per
// message and shared, a single writer sends every frame queued for the socket in one gather
// write, and a plain socket reads only once it is readable, into its shard's scratch buffer,
// so an idle connection holds neither a read buffer nor a pending read operation's storage.
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <type_traits>

#include "net/shard.hpp"
#include "net/streams.hpp"
#include "net/transport_session.hpp"
#include "wsgw/rate_limiter.hpp"
#include "wsgw/ws_frame.hpp"

namespace wsgw {


// What only a TLS session holds: the context its stream was made with, and a buffer that
// decrypted bytes land in.
struct TlsExtras {
    std::shared_ptr<void> context;
    std::unique_ptr<char[]> read_buffer;
};
struct NoExtras {
    explicit NoExtras(std::shared_ptr<void>) {}
};

template <class Stream>
class WsSession final : public TransportSession<WsSession<Stream>>, private ws::FrameSink {
    using Base = TransportSession<WsSession<Stream>>;
    friend Base;

public:
    // A plain session keeps only the socket; a TLS session keeps the whole TLS stream.
    using Transport = std::conditional_t<kIsTls<Stream>, Stream, ShardSocket>;

    // The caller has acquired a ConnectionLimiter slot for (user, address); the session releases
    // it when destroyed. `tls_context` holds the TLS context the stream was made with.
    // `permessage_deflate`: the handshake agreed to it (the parser keeps the flag).
    WsSession(Stream&& stream, Shard& shard, GatewayContext& ctx, Peer peer, std::shared_ptr<void> tls_context,
              bool permessage_deflate);

    // Writes the 101 response (`response`: the whole HTTP head), then registers and starts
    // reading. `early` holds bytes the client sent after its request, parsed as frames.
    void start(std::string response, std::string early);

    void close(std::uint16_t code, const char* reason, DisconnectReason why, bool flush) override;

private:
    // FrameSink
    void on_message(ws::Opcode type, std::string_view data) override;
    void on_ping(std::string_view payload) override;
    void on_pong(std::string_view payload) override;
    void on_close(std::uint16_t code, std::string_view reason) override;

    using Base::arm_close_deadline;
    using Base::arm_timer;
    using Base::close_code_;
    using Base::close_why_;
    using Base::closing_;
    using Base::state_;
    using Base::finished_;
    using Base::on_write;
    using Base::self;
    using Base::timer_;

    auto& socket();

    void on_upgraded(const boost::system::error_code& ec, std::string early);
    // An idle tick: a ping, or the end of a peer that did not answer the last one.
    bool keep_alive_tick();
    void read();
    void consume(char* data, std::size_t size);
    // More client bytes are wanted: not after the client's close frame or a protocol violation.
    bool reading() const { return !finished_ && !peer_closed_ && !drop_after_close_; }
    void flush();
    void send_close();
    void on_close_written(const boost::system::error_code& ec);
    void kill_socket();
    void finish(const boost::system::error_code& ec);

    Transport stream_;
    [[no_unique_address]] std::conditional_t<kIsTls<Stream>, TlsExtras, NoExtras> tls_;
    ws::FrameParser parser_;
    RateLimiter inbound_rate_;
    std::unique_ptr<std::string> scratch_;  // the 101 response, then the close frame, while each is written
    const char* close_reason_ = "";
    bool heard_ = false;             // a frame arrived since the last keep-alive tick
    bool ping_outstanding_ = false;  // a keep-alive ping went out and nothing came back yet
    bool close_sent_ = false;        // the close frame has been started
    bool close_written_ = false;     // ... and is on the wire
    bool peer_closed_ = false;       // the client's close frame arrived
    bool drop_after_close_ = false;  // a protocol violation: no close reply is awaited
};

extern template class WsSession<PlainStream>;
extern template class WsSession<TlsStream>;

}  // namespace wsgw
