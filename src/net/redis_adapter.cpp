#include "net/redis_adapter.hpp"

#include <hiredis/async.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>

namespace wsgw {

namespace {

namespace asio = boost::asio;

// Under a backlog, one wake-up reads on (each read is hiredis's 16 KiB) while the socket has
// more, up to this many reads: the messages of one wake-up reach the shards as one batch, and
// the bigger the batch, the more frames for one socket share a write. Without a backlog a
// wake-up is one read, so latency is unchanged.
constexpr int kMaxReadsPerWake = 64;

class Adapter : public std::enable_shared_from_this<Adapter> {
public:
    Adapter(redisAsyncContext* ac, const asio::any_io_executor& ex) : ac_(ac), fd_(ex) {}

    bool assign() {
        boost::system::error_code ec;
        fd_.assign(ac_->c.fd, ec);
        return !ec;
    }

    // hiredis hooks. They must be idempotent: hiredis calls addRead while already reading.
    void add_read() {
        want_read_ = true;
        arm_read();
    }
    void del_read() { want_read_ = false; }
    void add_write() {
        want_write_ = true;
        arm_write();
    }
    void del_write() { want_write_ = false; }

    // Called by hiredis while it frees the context, possibly from inside redisAsyncHandleRead
    // (a disconnect found while reading). From here on the context is gone: handlers still
    // queued see ac_ == nullptr and return. The fd belongs to hiredis, which closes it, so it
    // is released rather than closed (release also aborts pending waits).
    void cleanup() {
        ac_ = nullptr;
        want_read_ = want_write_ = false;
        if (fd_.is_open()) fd_.release();
    }

private:
    void arm_read() {
        if (read_armed_ || !ac_) return;
        read_armed_ = true;
        fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                           self->read_armed_ = false;
                           if (ec || !self->ac_ || !self->want_read_) return;
                           for (int reads = 1;; ++reads) {
                               redisAsyncHandleRead(self->ac_);
                               if (!self->ac_ || !self->want_read_ || reads == kMaxReadsPerWake) break;
                               asio::posix::descriptor_base::bytes_readable pending;
                               boost::system::error_code e;
                               self->fd_.io_control(pending, e);
                               if (e || pending.get() == 0) break;
                           }
                           if (self->ac_ && self->want_read_) self->arm_read();
                       });
    }

    void arm_write() {
        if (write_armed_ || !ac_) return;
        write_armed_ = true;
        fd_.async_wait(asio::posix::stream_descriptor::wait_write,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                           self->write_armed_ = false;
                           if (ec || !self->ac_ || !self->want_write_) return;
                           redisAsyncHandleWrite(self->ac_);
                           if (self->ac_ && self->want_write_) self->arm_write();
                       });
    }

    redisAsyncContext* ac_;
    asio::posix::stream_descriptor fd_;
    bool want_read_ = false, want_write_ = false;
    bool read_armed_ = false, write_armed_ = false;
};

// hiredis holds a raw pointer; it owns one reference to the adapter until cleanup.
struct Holder {
    std::shared_ptr<Adapter> adapter;
    redisAsyncContext* ac;
};

Adapter& of(void* privdata) { return *static_cast<Holder*>(privdata)->adapter; }

}  // namespace

bool attach_asio(redisAsyncContext* ac, const boost::asio::any_io_executor& executor) {
    if (ac->ev.data != nullptr) return false;
    auto adapter = std::make_shared<Adapter>(ac, executor);
    if (!adapter->assign()) return false;
    ac->ev.data = new Holder{std::move(adapter), ac};
    ac->ev.addRead = [](void* p) { of(p).add_read(); };
    ac->ev.delRead = [](void* p) { of(p).del_read(); };
    ac->ev.addWrite = [](void* p) { of(p).add_write(); };
    ac->ev.delWrite = [](void* p) { of(p).del_write(); };
    ac->ev.cleanup = [](void* p) {
        auto* holder = static_cast<Holder*>(p);
        // hiredis 0.14 does not clear its hooks after cleanup; clearing them here makes a
        // second cleanup (or a late addRead) a no-op instead of a use after free.
        redisAsyncContext* ctx = holder->ac;
        ctx->ev = {};
        holder->adapter->cleanup();
        delete holder;  // queued handlers keep the adapter itself alive until they run
    };
    return true;
}

}  // namespace wsgw
