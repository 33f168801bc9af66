#pragma once
// Sharded mode (redis_pubsub_mode = sharded), on the subscriber's thread: the shard channels of
// the users who have sockets here, and their streams (wsgw/sharded_contract.hpp).
//
// - A user's shard channel is SSUBSCRIBEd on the primary that owns the user's slot while the
//   user has a socket here, and SUNSUBSCRIBEd `unsubscribe_delay` after the last one leaves (a
//   reconnect inside the delay costs nothing). One connection per node; the channels queued in
//   one turn of the loop go out together, many per command (in a cluster, one slot per command:
//   Redis refuses shard channels of several slots in one SSUBSCRIBE).
// - Per user, the id of the last message handed to the shards (`hwm`): a live message that is
//   not newer is a copy and is dropped. A subscription that is lost (the node fails, a slot
//   moves: a sunsubscribe push, a MOVED) is made again on the slot's owner, and the stream is
//   read from `hwm` to fill the gap.
// - A socket that opens waits until its user's channel is subscribed, then the stream is read
//   (XRANGE from last_id, or the newest entries for the latest state); entries newer than `hwm`
//   are handed to the shards first, the live batch is flushed, and only then is the socket told
//   to register. Every message is then either in its backlog or reaches it live, once.
// - The function library (net/function_library.hpp) is loaded on each node link as it connects,
//   and on every primary the routes name after a reconnect or a change of primaries.
// Stream reads (the gap, a socket's backlog) are implemented in net/sharded_stream_reads.cpp.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/function_library.hpp"
#include "net/redis_client.hpp"
#include "net/resp_link.hpp"
#include "net/user_streams.hpp"
#include "wsgw/endpoints.hpp"
#include "wsgw/last_state_cache.hpp"
#include "wsgw/log_limiter.hpp"
#include "wsgw/metrics.hpp"
#include "wsgw/sharded_contract.hpp"
#include "wsgw/stream_id.hpp"

namespace wsgw {

class ShardedSubscriptions final : public UserStreams {
public:
    struct Options {
        RedisEndpoint endpoint;  // the credentials every node is reached with
        std::chrono::milliseconds connect_timeout{3000};
        std::chrono::milliseconds reconnect_min{100};
        std::chrono::milliseconds reconnect_max{5000};
        std::chrono::milliseconds unsubscribe_delay{10'000};
        // How long an opening socket waits for its user's subscription before it registers with
        // a resync (the node is down): it then gets live messages once the subscription stands.
        std::chrono::milliseconds open_timeout{5000};
        // A PING on every node link each interval; no answer within the timeout drops the link
        // (a frozen node, a connection a proxy or NAT lost half of), and its users subscribe
        // again and read their gap. 0: no PING.
        std::chrono::milliseconds probe_interval{5000};
        std::chrono::milliseconds probe_timeout{3000};
        StreamRetention retention;
        ReplayLimits replay;
        bool cluster = false;
    };
    // Where things are, asked of the Redis subscriber (its node, or its cluster topology).
    struct Routes {
        std::function<std::optional<RedisEndpoint>(std::uint16_t slot)> owner;  // nullopt: unknown now
        std::function<std::vector<RedisEndpoint>()> primaries;
        // A command to the primary that holds the key args[1]; the handler gets null when lost.
        std::function<void(const std::vector<std::string>& args, RedisClient::ReplyHandler handler)> command;
    };
    // Where messages go: the intake (validation), the current batch, the hand-off to the shards.
    struct Sink {
        std::function<std::shared_ptr<const Delivery>(std::string_view channel, std::string_view message,
                                                      const StreamId& id, bool live)>
            take;
        // A stream entry read back for a latest state only: kept raw when it can be sketched,
        // validated (`take`) once chosen.
        std::function<std::shared_ptr<const Delivery>(std::string_view channel, std::string_view message,
                                                      const StreamId& id)>
            sketch;
        std::function<void(std::shared_ptr<const Delivery>)> deliver;
        std::function<void()> flush;
    };

    ShardedSubscriptions(boost::asio::any_io_executor executor, Options options, Metrics& metrics, Routes routes,
                         Sink sink);
    ~ShardedSubscriptions();

    // Subscriber thread.
    void start();
    void stop();
    // The routes may have changed (a reconnect, a failover, a topology read); `reconnected`
    // also loads the function library on every primary again.
    void routes_changed(bool reconnected);

    // Any thread (UserStreams).
    void open(std::string user, std::string last_id, std::string project_filter,
              std::function<void(StreamBacklog)> done) override;
    void release(std::string user) override;

private:
    struct Waiter {
        std::string last_id;
        std::string project_filter;
        std::function<void(StreamBacklog)> done;
        std::chrono::steady_clock::time_point deadline;
    };
    enum class Sub { none, queued, sent, live };
    struct User {
        std::uint32_t sockets = 0;
        Sub sub = Sub::none;
        std::string node;  // the node's key while queued, sent or live
        std::optional<StreamId> hwm;
        bool gap = false;  // read the stream from hwm once live again
        std::chrono::steady_clock::time_point linger_until{};
        std::vector<Waiter> waiters;
        std::uint32_t reads = 0;  // stream reads in flight for its sockets
        // Handed to the shards while reads were in flight: what a read that ended earlier
        // cannot hold.
        std::vector<std::pair<StreamId, std::shared_ptr<const Delivery>>> recorded;
    };
    struct Sent {
        enum class Kind { function_load, ssubscribe, sunsubscribe, ping } kind;
        std::vector<std::string> users;
        std::size_t replies = 0;
    };
    struct Node {
        std::shared_ptr<RespLink> link;
        std::deque<Sent> sent;
        std::vector<std::string> subscribe;
        std::vector<std::string> unsubscribe;
        std::chrono::steady_clock::time_point pinged_at{};  // the last PING sent
        bool ping_outstanding = false;
    };
    struct Entry {
        StreamId id;
        std::string channel;
        std::string message;
    };

    void open_here(std::string user, Waiter waiter);
    void release_here(const std::string& user);
    void subscribe(const std::string& user, User& u);
    void unsubscribe(const std::string& user, User& u);
    void schedule_flush();
    void flush();
    // `users` cut into commands: at most 256 channels each, and in a cluster one slot each.
    std::vector<std::vector<std::string>> batches(std::vector<std::string> users) const;
    void send(Node& node, Sent::Kind kind, std::vector<std::string> users);
    Node& node_for(const RedisEndpoint& endpoint);
    void on_node_reply(const std::string& key, redisReply* reply);
    void on_node_lost(const std::string& key, const std::string& cause);
    void on_confirmed(const std::string& user, const std::string& key);
    void on_pushed_out(const std::string& user, const std::string& key);
    void on_live_message(const std::string& key, std::string_view channel, std::string_view payload);
    void set_live(User& u, bool live);
    void hand_off(User& u, const StreamId& id, std::shared_ptr<const Delivery> d);
    void fill_gap(const std::string& user);
    void read_for(const std::string& user, Waiter waiter);
    void read_latest(const std::string& user, Waiter waiter, bool resync);
    // A read that failed or timed out: counted, logged, and the waiter registers without a
    // resume (a resync if it asked for one) and without the stream's latest state.
    void read_failed(const std::string& user, Waiter& waiter, std::string_view purpose);
    // Entries newer than the user's hwm go to the shards; then the waiter's backlog is built.
    // `read_up_to`: the newest id the read covered (nullopt: it failed).
    void finish_read(const std::string& user, Waiter& waiter, const std::vector<Entry>& entries,
                     std::optional<StreamId> read_up_to, bool resumed);
    // What a read holds, in stream order: the entry it came from (null: handed off meanwhile,
    // `recorded`), and its delivery, which a latest-state read may keep raw until chosen.
    struct Read {
        StreamId id;
        std::shared_ptr<const Delivery> delivery;
        const Entry* entry = nullptr;
    };
    // The latest progress of each project among `read` (stream order), as patterns mode replays
    // it; only the messages chosen are validated.
    std::vector<std::shared_ptr<const Delivery>> latest_state(const std::string& user, std::vector<Read> read,
                                                              std::string_view project_filter);
    void arm_retry();
    void tick();
    // PINGs each node link that is due, and drops those whose PING went unanswered.
    void probe_links(std::chrono::steady_clock::time_point now);
    std::size_t read_count() const;
    std::size_t max_reply_bytes() const;
    static std::optional<std::vector<Entry>> parse_entries(redisReply* reply);

    boost::asio::any_io_executor executor_;
    Options options_;
    Metrics& metrics_;
    Routes routes_;
    Sink sink_;
    std::unordered_map<std::string, User> users_;
    std::map<std::string, Node> nodes_;  // by endpoint text
    FunctionLibrary library_;
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer tick_timer_;
    unsigned attempt_ = 0;
    bool retry_armed_ = false;
    bool flush_posted_ = false;
    bool stopped_ = true;
    std::minstd_rand rng_;
    LogLimiter log_limiter_{10};
};

}  // namespace wsgw
