// Admission as one pure decision: each check in its order, its status, rejection, reason and log
// line, and that the connection slot is taken only by a request that passed everything else.
#include "wsgw/admission_policy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wsgw {
namespace {

struct Fixture {
    TrustedProxies proxies;
    OriginPolicy origins;
    AdmissionSettings settings;
    AdmissionRequest request;
    // What the checks were asked.
    std::string verified_token;
    std::string acquired_user, acquired_address;
    int acquisitions = 0;
    bool revoke = false;
    Admission limit = Admission::admitted;
    AuthFailure failure = AuthFailure::bad_signature;
    bool token_ok = true;

    Fixture() {
        std::string error;
        origins = *OriginPolicy::parse("", error);
        settings.proxies = &proxies;
        settings.origins = &origins;
        settings.jwt_cookie = "wsgw_token";
        request.peer_ip = "192.0.2.10";
        request.host = "gw.example.com";
        request.target = "/ws?token=t0k";
    }

    AdmissionDecision decide() {
        AdmissionChecks checks{
            [this](std::string_view token) {
                verified_token = std::string(token);
                if (!token_ok) return AuthResult::failure(failure);
                return AuthResult::success(Identity{"alice", std::chrono::system_clock::now() + std::chrono::hours(1), "jti-1"});
            },
            [this](std::string_view token_id) { return revoke && token_id == "jti-1"; },
            [this](std::string_view user, std::string_view address) {
                ++acquisitions;
                acquired_user = std::string(user);
                acquired_address = std::string(address);
                return limit;
            }};
        return decide_admission(request, settings, checks);
    }
};

// A copy: the decision is often a temporary.
AdmissionRefusal refused(const AdmissionDecision& d) {
    EXPECT_TRUE(std::holds_alternative<AdmissionRefusal>(d));
    auto* r = std::get_if<AdmissionRefusal>(&d);
    return r ? *r : AdmissionRefusal{};
}

TEST(AdmissionPolicy, AdmitsAValidTokenWithItsFactsAndTakesOneSlot) {
    Fixture f;
    f.request.target = "/ws?token=t0k&project_id=p-1&last_id=m42";
    auto d = f.decide();
    ASSERT_TRUE(std::holds_alternative<AdmittedRequest>(d));
    const auto& a = std::get<AdmittedRequest>(d);
    EXPECT_EQ(a.identity.user_id, "alice");
    EXPECT_EQ(a.identity.token_id, "jti-1");
    EXPECT_EQ(a.address, "192.0.2.10");
    EXPECT_EQ(a.project_filter, "p-1");
    EXPECT_EQ(a.last_id, "m42");
    EXPECT_EQ(f.verified_token, "t0k");
    EXPECT_EQ(f.acquisitions, 1);
    EXPECT_EQ(f.acquired_user, "alice");
}

TEST(AdmissionPolicy, TheLegacyProjectIdSpellingIsAccepted) {
    Fixture f;
    f.request.target = "/ws?token=t0k&projectId=legacy";
    auto d = f.decide();
    ASSERT_TRUE(std::holds_alternative<AdmittedRequest>(d));
    EXPECT_EQ(std::get<AdmittedRequest>(d).project_filter, "legacy");
}

TEST(AdmissionPolicy, DrainingRefusesFirstWithoutLookingAtTheToken) {
    Fixture f;
    f.settings.draining = true;
    const auto r = refused(f.decide());
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.rejection, HttpRejection::draining);
    EXPECT_EQ(r.log, RefusalLog::none);
    EXPECT_TRUE(f.verified_token.empty());
    EXPECT_EQ(f.acquisitions, 0);
}

TEST(AdmissionPolicy, AnOriginNotAllowedIsRefusedBeforeTheToken) {
    Fixture f;
    std::string error;
    f.origins = *OriginPolicy::parse("https://app.example.com", error);
    f.request.origin = "https://evil.example";
    const auto r = refused(f.decide());
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.rejection, HttpRejection::forbidden_origin);
    EXPECT_EQ(r.log, RefusalLog::origin_refused);
    EXPECT_EQ(r.origin, "https://evil.example");
    EXPECT_TRUE(f.verified_token.empty());
}

TEST(AdmissionPolicy, ACookieFromAnotherSitesPageIsRefused) {
    Fixture f;
    f.request.target = "/ws";
    f.request.cookie = "wsgw_token=c00k";
    f.request.origin = "https://evil.example";
    const auto r = refused(f.decide());
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.rejection, HttpRejection::forbidden_origin);
    EXPECT_EQ(r.reason, "a cookie is accepted only from the gateway's own origin or allowed_origins");
    EXPECT_TRUE(f.verified_token.empty());
}

TEST(AdmissionPolicy, ACookieWithoutOriginOnACrossSiteFetchIsRefused) {
    Fixture f;
    f.request.target = "/events";
    f.request.cookie = "wsgw_token=c00k";
    f.request.sec_fetch_site = "cross-site";
    const auto r = refused(f.decide());
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.reason, "a cookie is not accepted on a cross-site request");
}

TEST(AdmissionPolicy, ACookieFromThePagesOwnOriginIsAccepted) {
    Fixture f;
    f.request.target = "/ws";
    f.request.cookie = "wsgw_token=c00k";
    f.request.origin = "https://gw.example.com";
    ASSERT_TRUE(std::holds_alternative<AdmittedRequest>(f.decide()));
    EXPECT_EQ(f.verified_token, "c00k");
}

TEST(AdmissionPolicy, TheForwardedHostAndAddressAreBelievedOnlyFromATrustedProxy) {
    Fixture f;
    f.request.target = "/ws";
    f.request.cookie = "wsgw_token=c00k";
    f.request.host = "gateway-internal:8080";
    f.request.x_forwarded_host = "gw.example.com";
    f.request.origin = "https://gw.example.com";
    f.request.x_forwarded_for = "198.51.100.7";
    EXPECT_EQ(refused(f.decide()).rejection, HttpRejection::forbidden_origin) << "an untrusted peer's header";

    std::string error;
    f.proxies = *TrustedProxies::parse("192.0.2.0/24", error);
    auto d = f.decide();
    ASSERT_TRUE(std::holds_alternative<AdmittedRequest>(d));
    EXPECT_EQ(std::get<AdmittedRequest>(d).address, "198.51.100.7");
    EXPECT_EQ(f.acquired_address, "198.51.100.7");
}

TEST(AdmissionPolicy, UntilTheKeySetIsFetchedEveryRequestGets503) {
    Fixture f;
    f.settings.keys_pending = true;
    const auto r = refused(f.decide());
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.rejection, HttpRejection::not_ready);
    EXPECT_TRUE(f.verified_token.empty());
}

TEST(AdmissionPolicy, AMissingTokenIsA401WithoutAskingTheVerifier) {
    Fixture f;
    f.request.target = "/ws";
    const auto r = refused(f.decide());
    EXPECT_EQ(r.status, 401);
    ASSERT_TRUE(r.auth_failure.has_value());
    EXPECT_EQ(*r.auth_failure, AuthFailure::missing_token);
    EXPECT_EQ(r.log, RefusalLog::auth_failed);
    EXPECT_TRUE(f.verified_token.empty());
}

TEST(AdmissionPolicy, ATokenTheVerifierRefusesIsA401WithItsReason) {
    Fixture f;
    f.token_ok = false;
    f.failure = AuthFailure::expired;
    const auto r = refused(f.decide());
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(*r.auth_failure, AuthFailure::expired);
    EXPECT_EQ(r.log_reason, to_string(AuthFailure::expired));
    EXPECT_TRUE(r.user.empty()) << "nobody is known from a token that did not verify";
    EXPECT_EQ(f.acquisitions, 0);
}

TEST(AdmissionPolicy, UntilTheDenyListIsLoadedAVerifiedTokenGets503) {
    Fixture f;
    f.settings.revocations_pending = true;
    const auto r = refused(f.decide());
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.rejection, HttpRejection::not_ready);
    EXPECT_EQ(r.reason, "revocation list not loaded from Redis yet");
}

TEST(AdmissionPolicy, ARevokedTokenIsA401NamingItsUser) {
    Fixture f;
    f.revoke = true;
    const auto r = refused(f.decide());
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(*r.auth_failure, AuthFailure::revoked);
    EXPECT_EQ(r.user, "alice");
    EXPECT_EQ(f.acquisitions, 0);
}

TEST(AdmissionPolicy, BadProjectAndLastIdsAre400sAndTakeNoSlot) {
    Fixture f;
    f.request.target = "/ws?token=t0k&project_id=bad%20id";
    auto r = refused(f.decide());
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.rejection, HttpRejection::bad_project_id);
    EXPECT_EQ(r.log, RefusalLog::bad_request);
    EXPECT_EQ(r.log_reason, "invalid project_id");
    const std::string too_long = "/ws?token=t0k&last_id=" + std::string(65, 'a');
    f.request.target = too_long;
    r = refused(f.decide());
    EXPECT_EQ(r.rejection, HttpRejection::bad_request);
    EXPECT_EQ(r.log_reason, "invalid last_id");
    EXPECT_EQ(f.acquisitions, 0);
}

TEST(AdmissionPolicy, TheHeadersLastEventIdWinsOverTheQuerys) {
    Fixture f;
    f.request.target = "/events?token=t0k&last_id=old";
    f.request.last_event_id = "newer";
    auto d = f.decide();
    ASSERT_TRUE(std::holds_alternative<AdmittedRequest>(d));
    EXPECT_EQ(std::get<AdmittedRequest>(d).last_id, "newer");
    f.request.last_event_id = "not valid!";
    EXPECT_EQ(refused(f.decide()).log_reason, "invalid last_id") << "the header's id is checked like the query's";
}

TEST(AdmissionPolicy, EachLimitHasItsStatusRejectionAndName) {
    struct Case {
        Admission limit;
        int status;
        HttpRejection rejection;
        std::string_view name;
    };
    for (const auto& c : {Case{Admission::over_total, 503, HttpRejection::over_capacity, "max_connections"},
                          Case{Admission::over_user, 429, HttpRejection::over_user_limit, "max_connections_per_user"},
                          Case{Admission::over_address, 429, HttpRejection::over_address_limit,
                               "max_connections_per_address"}}) {
        Fixture f;
        f.limit = c.limit;
        const auto r = refused(f.decide());
        EXPECT_EQ(r.status, c.status) << c.name;
        EXPECT_EQ(r.rejection, c.rejection) << c.name;
        EXPECT_EQ(r.log, RefusalLog::limit_reached) << c.name;
        EXPECT_EQ(r.log_reason, c.name);
        EXPECT_EQ(r.user, "alice");
        EXPECT_EQ(r.address, "192.0.2.10");
    }
}

}  // namespace
}  // namespace wsgw
