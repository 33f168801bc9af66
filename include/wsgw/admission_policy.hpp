#pragma once
// Whether a WebSocket upgrade or an event stream is admitted, from the request's facts, in one
// order: draining → client address (trusted proxies) → Origin → token source and the cookie's
// origin rules → signing keys loaded → token → revocation list loaded → revoked → project_id and
// last_id → connection limits. The first check that fails decides: its HTTP status, the
// rejection it is counted as, the reason the client reads, and which log line says so.
//
// Pure: what needs shared state is asked through AdmissionChecks (verifying a token, which may
// start a key-set refresh for an unknown key id; the deny list; taking a connection slot, the
// only step with an effect, and the last one). No sockets, no logging, no metrics: the HTTP
// session writes the decision out.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "wsgw/auth.hpp"
#include "wsgw/client_address.hpp"
#include "wsgw/connection_limits.hpp"
#include "wsgw/metrics.hpp"
#include "wsgw/origin.hpp"

namespace wsgw {

// What the request says, as read from its head.
struct AdmissionRequest {
    std::string_view peer_ip;          // the TCP peer
    std::string_view x_forwarded_for;  // every X-Forwarded-For line, joined in order
    std::string_view x_real_ip;
    std::optional<std::string_view> origin;
    std::string_view host;
    std::string_view x_forwarded_host;
    std::string_view sec_fetch_site;
    std::string_view target;           // path and query
    std::string_view authorization;
    std::string_view cookie;
    std::optional<std::string> last_event_id;  // SSE's Last-Event-ID header; wins over ?last_id=
};

// The gateway's settings and state that the decision reads.
struct AdmissionSettings {
    bool draining = false;
    const TrustedProxies* proxies = nullptr;
    const OriginPolicy* origins = nullptr;
    std::string_view jwt_cookie;
    bool keys_pending = false;         // a key set is configured and not fetched yet
    bool revocations_pending = false;  // a control channel is configured and its list not loaded yet
};

struct AdmissionChecks {
    std::function<AuthResult(std::string_view token)> verify;
    std::function<bool(std::string_view token_id)> revoked;
    std::function<Admission(std::string_view user, std::string_view address)> acquire;
};

// Which rate-limited warning tells of a refusal.
enum class RefusalLog : std::uint8_t { none, origin_refused, auth_failed, bad_request, limit_reached };

struct AdmissionRefusal {
    int status = 400;
    HttpRejection rejection = HttpRejection::bad_request;  // counted unless auth_failure is set
    std::optional<AuthFailure> auth_failure;               // a 401: counted as an auth failure
    std::string reason;                                    // the response body's reason
    RefusalLog log = RefusalLog::none;
    std::string_view log_reason;  // the log line's reason (origin, auth, bad request) or limit name
    std::string address;          // the client's address as resolved
    std::string user;             // empty until the token is verified
    std::string_view origin;      // the request's, for the log (a view into the request)
};

struct AdmittedRequest {
    Identity identity;
    std::string address;
    std::string project_filter;  // empty: every project
    std::string last_id;         // empty: a fresh connection
};

using AdmissionDecision = std::variant<AdmittedRequest, AdmissionRefusal>;

AdmissionDecision decide_admission(const AdmissionRequest& request, const AdmissionSettings& settings,
                                   const AdmissionChecks& checks);

}  // namespace wsgw
