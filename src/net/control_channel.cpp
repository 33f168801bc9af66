#include "net/control_channel.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/post.hpp>
#include <cmath>
#include <cstdlib>

#include "net/logging.hpp"
#include "net/redis_reply.hpp"
#include "net/redis_subscriber.hpp"
#include "net/session_state.hpp"
#include "wsgw/backoff.hpp"
#include "wsgw/close_codes.hpp"
#include "wsgw/control_command.hpp"
#include "wsgw/unix_time.hpp"

namespace wsgw {

namespace {

using Clock = std::chrono::system_clock;

std::int64_t unix_seconds(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

ControlChannel::ControlChannel(std::vector<std::unique_ptr<Shard>>& shards, GatewayContext& ctx,
                               RedisSubscriber& redis, Options options)
    : shards_(shards),
      ctx_(ctx),
      redis_(redis),
      options_(std::move(options)),
      retry_timer_(shards_.front()->ioc) {}

void ControlChannel::on_command(std::string_view payload) {
    auto parsed = parse_control_command(payload);
    if (!parsed.ok()) {
        ctx_.metrics.count_control_rejected(parsed.error());
        std::uint64_t suppressed = 0;
        if (reject_log_limiter_.allow(std::chrono::steady_clock::now(), suppressed) || suppressed)
            log::warn("control_command_rejected", {{"reason", to_string(parsed.error())},
                                                   {"detail", parsed.detail()},
                                                   {"bytes", payload.size()},
                                                   {"prefix", safe_prefix(payload, 64)},
                                                   {"suppressed_before", suppressed}});
        return;
    }
    const auto& cmd = parsed.command();
    ctx_.metrics.count_control(cmd.action);
    if (cmd.action == ControlAction::disconnect) {
        log::info("control_command", {{"action", "disconnect"}, {"user", cmd.user}});
        return close_user(cmd.user);
    }
    const auto until = cmd.exp + options_.leeway;
    const bool refused = remember(cmd.jti, until);
    log::info("control_command", {{"action", "revoke"},
                                  {"jti", cmd.jti},
                                  {"exp", unix_seconds(cmd.exp)},
                                  {"refused_until", refused ? unix_seconds(until) : 0}});
    if (refused) persist(cmd.jti, until);
    close_tokens(std::make_shared<const Fingerprints>(Fingerprints{token_fingerprint(cmd.jti)}));
}

bool ControlChannel::remember(std::string_view jti, Clock::time_point until) {
    auto result = ctx_.revocations.add(jti, until, Clock::now());
    ctx_.metrics.revoked_tokens = ctx_.revocations.size();
    ctx_.metrics.revoked_tokens_evicted = ctx_.revocations.evictions();
    if (result == RevocationList::AddResult::not_kept)
        log::warn("revocation_list_full", {{"max_revoked_tokens", ctx_.revocations.max_entries()}});
    return result != RevocationList::AddResult::expired && result != RevocationList::AddResult::not_kept;
}

void ControlChannel::persist(const std::string& jti, Clock::time_point until) {
    if (options_.revocation_key.empty()) return;
    // Every instance that hears the command writes the same entry: GT keeps the latest end, and
    // entries whose end has passed are pruned on the way (the set's own "TTL").
    redis_.command({"ZADD", options_.revocation_key, "GT", std::to_string(unix_seconds(until)), jti},
                   [](redisReply* r) {
                       if (!r || r->type == REDIS_REPLY_ERROR)
                           log::warn("revocation_store_failed", {{"cause", r ? text(r) : "connection lost"}});
                   });
    redis_.command({"ZREMRANGEBYSCORE", options_.revocation_key, "-inf", std::to_string(unix_seconds(Clock::now()))},
                   nullptr);
}

void ControlChannel::on_subscription(bool subscribed, std::function<void(bool)> ready) {
    subscribed_ = subscribed;
    ++subscription_generation_;
    retry_timer_.cancel();
    load_attempt_ = 0;
    ready_ = std::move(ready);
    if (!subscribed) return ready_(false);
    if (options_.revocation_key.empty()) {
        ctx_.revocations_loaded = true;
        return ready_(true);
    }
    load_deny_list(subscription_generation_);
}

void ControlChannel::retry_load(std::uint64_t generation) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto delay = backoff_delay(load_attempt_++, options_.retry_min, options_.retry_max, unit(rng_));
    retry_timer_.expires_after(delay);
    retry_timer_.async_wait([this, generation](const boost::system::error_code& ec) {
        if (!ec && generation == subscription_generation_ && subscribed_) load_deny_list(generation);
    });
}

void ControlChannel::load_deny_list(std::uint64_t generation) {
    // Entries ending after now ("(" excludes the bound). Built by appending: GCC 12 at -O3 warns
    // (-Wrestrict, a false positive) on "(" + std::to_string(...).
    std::string after_now = "(";
    after_now += std::to_string(unix_seconds(Clock::now()));
    // The entries that end last, if there are more than the list holds.
    redis_.command(
        {"ZREVRANGEBYSCORE", options_.revocation_key, "+inf", after_now, "WITHSCORES", "LIMIT", "0",
         std::to_string(ctx_.revocations.max_entries())},
        [this, generation](redisReply* r) {
            if (generation != subscription_generation_ || !subscribed_) return;  // a later subscription loads for itself
            if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
                Metrics::add(ctx_.metrics.revocation_loads_failed);
                std::string cause = !r ? "connection lost"
                                    : r->type == REDIS_REPLY_ERROR ? std::string(text(r))
                                                                   : "unexpected reply to ZREVRANGEBYSCORE";
                log::error("revocation_load_failed",
                           {{"key", options_.revocation_key}, {"cause", cause}, {"attempt", load_attempt_ + 1}});
                // Not ready without the deny list; the subscription stays (a lost one reports
                // itself), and the load is tried again. Not from inside hiredis: a timer.
                boost::asio::post(shards_.front()->ioc, [this, generation] {
                    if (generation == subscription_generation_ && subscribed_) retry_load(generation);
                });
                return;
            }
            auto revoked = std::make_shared<Fingerprints>();
            std::size_t loaded = 0;
            for (std::size_t i = 0; i + 1 < r->elements; i += 2) {
                const redisReply* member = r->element[i];
                const redisReply* score = r->element[i + 1];
                if (member->type != REDIS_REPLY_STRING || member->len == 0 ||
                    static_cast<std::size_t>(member->len) > kMaxTokenIdBytes)
                    continue;
                // RESP2 (all this hiredis speaks) sends scores as bulk strings.
                if (score->type != REDIS_REPLY_STRING) continue;
                // A score is a token's exp plus the leeway; "inf" and scores past what a time point
                // holds (a publisher's "never expires") are clamped, never dropped.
                const double until = std::strtod(std::string(text(score)).c_str(), nullptr);
                const auto end =
                    from_unix_seconds(std::ceil(until), kLatestUnixSeconds + static_cast<double>(options_.leeway.count()));
                if (!end || until <= 0) continue;
                if (remember(text(member), *end)) {
                    revoked->insert(token_fingerprint(text(member)));
                    ++loaded;
                }
            }
            Metrics::add(ctx_.metrics.revocation_loads_ok);
            log::info("revocation_list_loaded",
                      {{"key", options_.revocation_key}, {"entries", loaded}, {"held", ctx_.revocations.size()}});
            // Sockets that connected while this instance could not know of a revocation.
            if (!revoked->empty()) close_tokens(std::move(revoked));
            ctx_.revocations_loaded = true;
            load_attempt_ = 0;
            ready_(true);
        });
}

void ControlChannel::close_user(const std::string& user) {
    for (auto& shard : shards_) {
        boost::asio::post(shard->ioc, [s = shard.get(), user] {
            // Collected first: a close may not change the registry while it is walked, and this
            // keeps it so whatever a close does.
            std::vector<Session*> targets;
            s->registry.for_each_target(user, {}, [&](Session* session) { targets.push_back(session); });
            for (auto* session : targets)
                session->close(close_code::revoked, "disconnected by the server", DisconnectReason::disconnected, false);
            for (auto* opening : s->opening)
                if (opening->peer.identity.user_id == user)
                    opening->refuse_at_open(DisconnectReason::disconnected);
        });
    }
}

void ControlChannel::close_tokens(std::shared_ptr<const Fingerprints> tokens) {
    for (auto& shard : shards_) {
        boost::asio::post(shard->ioc, [s = shard.get(), tokens] {
            // Every socket of the thread is looked at: revocations are rare, and a walk of the
            // registry costs less than an index of tokens every socket would pay for.
            std::vector<Session*> targets;
            s->registry.for_each([&](Session* session) {
                if (auto fp = session->token_fingerprint(); fp != 0 && tokens->count(fp)) targets.push_back(session);
            });
            for (auto* session : targets)
                session->close(close_code::revoked, "token revoked", DisconnectReason::revoked, false);
            for (auto* opening : s->opening)
                if (opening->peer.token != 0 && tokens->count(opening->peer.token))
                    opening->refuse_at_open(DisconnectReason::revoked);
        });
    }
}

}  // namespace wsgw
