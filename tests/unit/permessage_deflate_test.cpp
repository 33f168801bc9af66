// Negotiating permessage-deflate (RFC 7692): which offers are accepted, which are declined, and
// the exact response value. Every accepted offer is answered with no context takeover both ways.
#include "wsgw/permessage_deflate.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using wsgw::ws::negotiate_permessage_deflate;

constexpr std::string_view kAnswer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
constexpr std::string_view kAnswerWithWindow =
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15";

// The response value, or "(declined)".
std::string respond(std::string_view offers) {
    auto agreed = negotiate_permessage_deflate(offers);
    return agreed ? agreed->response : "(declined)";
}

// --- What browsers and libraries send -------------------------------------------------------

TEST(PermessageDeflate, AcceptsChromiumsOffer) {
    EXPECT_EQ(respond("permessage-deflate; client_max_window_bits"), kAnswer);
}

TEST(PermessageDeflate, AcceptsFirefoxsOffer) { EXPECT_EQ(respond("permessage-deflate"), kAnswer); }

TEST(PermessageDeflate, AcceptsPythonWebsocketsOffer) {
    // websockets 10.4: enable_client_permessage_deflate() offers client_max_window_bits alone.
    EXPECT_EQ(respond("permessage-deflate; client_max_window_bits"), kAnswer);
}

TEST(PermessageDeflate, DeclinesWhenNothingIsOffered) {
    EXPECT_EQ(respond(""), "(declined)");
    EXPECT_EQ(respond("   "), "(declined)");
    EXPECT_EQ(respond("x-webkit-deflate-frame"), "(declined)");
}

// --- RFC 7692's examples (sections 5.2 and 7.1) ----------------------------------------------

TEST(PermessageDeflate, AcceptsEachNoContextTakeoverParameter) {
    EXPECT_EQ(respond("permessage-deflate; server_no_context_takeover"), kAnswer);
    EXPECT_EQ(respond("permessage-deflate; client_no_context_takeover"), kAnswer);
    EXPECT_EQ(respond("permessage-deflate; server_no_context_takeover; client_no_context_takeover"), kAnswer);
}

TEST(PermessageDeflate, DeclinesASmallerServerWindowAndTakesTheFallbackOffer) {
    // Section 5.2's example: a 1 KiB server window asked for, with a plain offer as fallback.
    // Every message is compressed once with a 32 KiB window, so only the fallback is honoured.
    EXPECT_EQ(respond("permessage-deflate; client_max_window_bits; server_max_window_bits=10, "
                      "permessage-deflate; client_max_window_bits"),
              kAnswer);
    EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=10, permessage-deflate"), kAnswer);
}

TEST(PermessageDeflate, DeclinesEveryServerWindowBelowFifteen) {
    for (int bits = 8; bits < 15; ++bits)
        EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=" + std::to_string(bits)), "(declined)") << bits;
}

TEST(PermessageDeflate, AcceptsAServerWindowOfFifteenAndEchoesIt) {
    // Section 7.1.2.1: the offer is accepted by answering with the same or a smaller value.
    EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=15"), kAnswerWithWindow);
    EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=\"15\""), kAnswerWithWindow);
}

TEST(PermessageDeflate, AcceptsAnyClientWindowWithoutAnsweringIt) {
    // Section 7.1.2.2: the response may carry client_max_window_bits only if the offer did, and
    // need not; the inflater takes any window, so nothing is said.
    for (int bits = 8; bits <= 15; ++bits)
        EXPECT_EQ(respond("permessage-deflate; client_max_window_bits=" + std::to_string(bits)), kAnswer) << bits;
    EXPECT_EQ(respond("permessage-deflate; client_max_window_bits=\"10\""), kAnswer);
}

TEST(PermessageDeflate, AcceptsEveryParameterTogether) {
    EXPECT_EQ(respond("permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                      "server_max_window_bits=15; client_max_window_bits=9"),
              kAnswerWithWindow);
}

// --- Several offers, other extensions -------------------------------------------------------

TEST(PermessageDeflate, IgnoresOtherExtensions) {
    EXPECT_EQ(respond("x-webkit-deflate-frame, permessage-deflate; client_max_window_bits"), kAnswer);
    EXPECT_EQ(respond("mux; max-channels=4; flow-control, permessage-deflate"), kAnswer);
    EXPECT_EQ(respond("permessage-foo; x=\"10\", permessage-deflate, deflate-stream"), kAnswer);
}

TEST(PermessageDeflate, TakesTheFirstAcceptableOfferInOrder) {
    EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=15, permessage-deflate"), kAnswerWithWindow);
    EXPECT_EQ(respond("permessage-deflate, permessage-deflate; server_max_window_bits=15"), kAnswer);
    EXPECT_EQ(respond("permessage-deflate; foo, permessage-deflate; server_max_window_bits=15"), kAnswerWithWindow);
}

TEST(PermessageDeflate, ReadsFieldLinesJoinedWithACommaAsOneList) {
    EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=9, permessage-deflate; client_max_window_bits"),
              kAnswer);
}

TEST(PermessageDeflate, MatchesNamesWithoutRegardToCase) {
    EXPECT_EQ(respond("PerMessage-Deflate; Client_Max_Window_Bits"), kAnswer);
    EXPECT_EQ(respond("permessage-deflate; SERVER_NO_CONTEXT_TAKEOVER"), kAnswer);
}

TEST(PermessageDeflate, ToleratesWhitespaceAndEmptyElements) {
    EXPECT_EQ(respond(" ,permessage-deflate ;\tclient_max_window_bits = 12 , "), kAnswer);
}

// --- Invalid offers: declined, and the next one is tried ------------------------------------

TEST(PermessageDeflate, DeclinesAnOfferWithAnUnknownParameter) {
    EXPECT_EQ(respond("permessage-deflate; foo"), "(declined)");
    EXPECT_EQ(respond("permessage-deflate; foo=1"), "(declined)");
    EXPECT_EQ(respond("permessage-deflate; server_max_window_bit=15"), "(declined)");
}

TEST(PermessageDeflate, DeclinesAnOfferWithAParameterGivenTwice) {
    for (std::string_view twice :
         {"server_no_context_takeover; server_no_context_takeover", "client_no_context_takeover; client_no_context_takeover",
          "server_max_window_bits=15; server_max_window_bits=15", "client_max_window_bits; client_max_window_bits=10",
          "client_max_window_bits; CLIENT_MAX_WINDOW_BITS"})
        EXPECT_EQ(respond("permessage-deflate; " + std::string(twice)), "(declined)") << twice;
}

TEST(PermessageDeflate, DeclinesANoContextTakeoverParameterWithAValue) {
    for (std::string_view p : {"server_no_context_takeover=1", "client_no_context_takeover=true",
                               "server_no_context_takeover=\"x\""})
        EXPECT_EQ(respond("permessage-deflate; " + std::string(p)), "(declined)") << p;
}

TEST(PermessageDeflate, DeclinesAServerWindowWithoutAValue) {
    EXPECT_EQ(respond("permessage-deflate; server_max_window_bits"), "(declined)");
}

TEST(PermessageDeflate, DeclinesWindowBitsOutsideEightToFifteen) {
    for (std::string_view v : {"0", "7", "16", "99", "-1", "+9", "08", "015", "1.5", "abc", "9a", "\"16\"", "\"08\""}) {
        EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=" + std::string(v)), "(declined)") << v;
        EXPECT_EQ(respond("permessage-deflate; client_max_window_bits=" + std::string(v)), "(declined)") << v;
    }
}

TEST(PermessageDeflate, DeclinesAMalformedOfferAndTriesTheNext) {
    for (std::string_view bad : {"permessage-deflate;", "permessage-deflate client_max_window_bits",
                                 "permessage-deflate; client_max_window_bits=", "permessage-deflate; =15",
                                 "permessage-deflate; client_max_window_bits=\"1 0\"", "permessage-deflate;;"}) {
        EXPECT_EQ(respond(bad), "(declined)") << bad;
        EXPECT_EQ(respond(std::string(bad) + ", permessage-deflate; server_max_window_bits=15"), kAnswerWithWindow)
            << bad;
    }
}

TEST(PermessageDeflate, DeclinesEveryOfferWhenAllAreInvalid) {
    EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=8, permessage-deflate; foo, "
                      "permessage-deflate; client_no_context_takeover=1"),
              "(declined)");
}

}  // namespace
