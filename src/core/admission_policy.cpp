#include "wsgw/admission_policy.hpp"

#include <chrono>
#include <utility>

#include "wsgw/channel.hpp"
#include "wsgw/request_headers.hpp"
#include "wsgw/request_target.hpp"
#include "wsgw/request_token.hpp"

namespace wsgw {
namespace {

AdmissionRefusal refusal(int status, HttpRejection rejection, std::string reason, RefusalLog log = RefusalLog::none,
                         std::string_view log_reason = {}) {
    AdmissionRefusal r;
    r.status = status;
    r.rejection = rejection;
    r.reason = std::move(reason);
    r.log = log;
    r.log_reason = log_reason;
    return r;
}

AdmissionRefusal auth_refusal(AuthFailure failure) {
    AdmissionRefusal r = refusal(401, HttpRejection::bad_request, std::string(to_string(failure)),
                                 RefusalLog::auth_failed, to_string(failure));
    r.auth_failure = failure;
    return r;
}

// The client's address: the peer's, or behind a trusted proxy what the proxy forwarded.
std::string client_address(const AdmissionRequest& req, const AdmissionSettings& s, bool via_proxy) {
    if (!via_proxy) return std::string(req.peer_ip);
    return s.proxies->resolve(req.peer_ip, req.x_forwarded_for, req.x_real_ip);
}

// A cookie is an ambient credential: believed only from the page's own origin or an allowed one.
std::optional<AdmissionRefusal> check_cookie_origin(const AdmissionRequest& req, const AdmissionSettings& s,
                                                    bool via_proxy) {
    // Behind a trusted proxy the request's own host is the one the browser asked for.
    std::string_view host = req.host;
    if (auto forwarded = last_list_item(req.x_forwarded_host); via_proxy && !forwarded.empty()) host = forwarded;
    switch (s.origins->check_ambient(req.origin, host, req.sec_fetch_site)) {
        case OriginPolicy::Ambient::allowed:
            return std::nullopt;
        case OriginPolicy::Ambient::origin_not_allowed:
            return refusal(403, HttpRejection::forbidden_origin,
                           "a cookie is accepted only from the gateway's own origin or allowed_origins",
                           RefusalLog::origin_refused, "a cookie is accepted only from the gateway's own origin or allowed_origins");
        case OriginPolicy::Ambient::cross_site_without_origin:
            return refusal(403, HttpRejection::forbidden_origin, "a cookie is not accepted on a cross-site request",
                           RefusalLog::origin_refused, "a cookie is not accepted on a cross-site request");
    }
    return std::nullopt;
}

AdmissionDecision decide(const AdmissionRequest& req, const AdmissionSettings& s, const AdmissionChecks& checks,
                         std::string& address) {
    if (s.draining) return refusal(503, HttpRejection::draining, "server is shutting down");
    const bool via_proxy = s.proxies && !s.proxies->empty() && s.proxies->contains(req.peer_ip);
    address = client_address(req, s, via_proxy);

    if (s.origins && !s.origins->allows(req.origin))
        return refusal(403, HttpRejection::forbidden_origin, "origin not allowed", RefusalLog::origin_refused,
                       "origin not allowed");
    auto token = extract_token(req.target, req.authorization, req.cookie, s.jwt_cookie);
    if (token && token->source == TokenSource::cookie && s.origins)
        if (auto refused = check_cookie_origin(req, s, via_proxy)) return std::move(*refused);

    // Authenticate before anything else about the request is acted on.
    if (s.keys_pending)
        return refusal(503, HttpRejection::not_ready, "signing keys not fetched from jwt_jwks_url yet");
    auto auth = token ? checks.verify(token->value) : AuthResult::failure(AuthFailure::missing_token);
    if (!auth.ok()) return auth_refusal(auth.failure());
    if (s.revocations_pending)
        return refusal(503, HttpRejection::not_ready, "revocation list not loaded from Redis yet");
    const std::string& user = auth.identity().user_id;
    if (checks.revoked(auth.identity().token_id)) {
        auto r = auth_refusal(AuthFailure::revoked);
        r.user = user;
        return r;
    }

    auto bad_request = [&](HttpRejection rejection, std::string reason, std::string_view log_reason) {
        auto r = refusal(400, rejection, std::move(reason), RefusalLog::bad_request, log_reason);
        r.user = user;
        return r;
    };
    auto project = query_param(req.target, "project_id");
    if (!project) project = query_param(req.target, "projectId");
    if (project && !is_valid_id(*project))
        return bad_request(HttpRejection::bad_project_id, "project_id must be 1-64 characters of [A-Za-z0-9_-]",
                           "invalid project_id");
    // A header's id (Last-Event-ID) is newer than the query's: a browser's EventSource keeps the
    // URL it was made with, and on every reconnect sends the last id it saw in the header.
    auto last_id = req.last_event_id;
    if (!last_id) last_id = query_param(req.target, "last_id");
    if (last_id && !is_valid_id(*last_id))
        return bad_request(HttpRejection::bad_request, "last_id must be 1-64 characters of [A-Za-z0-9_-]",
                           "invalid last_id");

    // Last: the one check that takes something (a slot the session gives back when it ends).
    auto limited = [&](int status, HttpRejection rejection, std::string reason, std::string_view limit) {
        auto r = refusal(status, rejection, std::move(reason), RefusalLog::limit_reached, limit);
        r.user = user;
        return r;
    };
    switch (checks.acquire(user, address)) {
        case Admission::admitted:
            break;
        case Admission::over_total:
            return limited(503, HttpRejection::over_capacity, "server is at capacity", "max_connections");
        case Admission::over_user:
            return limited(429, HttpRejection::over_user_limit, "too many connections for this user",
                           "max_connections_per_user");
        case Admission::over_address:
            return limited(429, HttpRejection::over_address_limit, "too many connections from this address",
                           "max_connections_per_address");
    }
    return AdmittedRequest{auth.identity(), std::string(), project.value_or(std::string{}),
                           last_id.value_or(std::string{})};
}

}  // namespace

AdmissionDecision decide_admission(const AdmissionRequest& request, const AdmissionSettings& settings,
                                   const AdmissionChecks& checks) {
    std::string address;
    auto decision = decide(request, settings, checks, address);
    std::visit([&](auto& d) { d.address = std::move(address); }, decision);
    if (auto* r = std::get_if<AdmissionRefusal>(&decision); r && r->log == RefusalLog::origin_refused)
        r->origin = request.origin.value_or(std::string_view{});
    return decision;
}

}  // namespace wsgw
