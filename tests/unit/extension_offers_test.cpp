// The Sec-WebSocket-Extensions grammar (RFC 6455 section 9.1): names, parameters, quoting,
// whitespace, and how a malformed element is skipped without losing the ones after it.
#include "wsgw/extension_offers.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using wsgw::ws::ExtensionOffer;
using wsgw::ws::parse_extension_offers;

// One offer per line, "name; p; q=v" with values as parsed, or "!" for an ill-formed element,
// so a failure prints the whole parse.
std::vector<std::string> describe(std::string_view header) {
    std::vector<std::string> out;
    for (const ExtensionOffer& o : parse_extension_offers(header)) {
        if (!o.well_formed) {
            out.push_back("!");
            continue;
        }
        std::string line = o.name;
        for (const auto& p : o.params) {
            line += "; " + p.name;
            if (p.value) line += "=" + *p.value;
        }
        out.push_back(line);
    }
    return out;
}

using Lines = std::vector<std::string>;

TEST(ExtensionOffers, ParsesANameAlone) { EXPECT_EQ(describe("permessage-deflate"), Lines{"permessage-deflate"}); }

TEST(ExtensionOffers, ParsesParametersWithAndWithoutValues) {
    EXPECT_EQ(describe("permessage-deflate; client_max_window_bits; server_max_window_bits=10"),
              Lines{"permessage-deflate; client_max_window_bits; server_max_window_bits=10"});
}

TEST(ExtensionOffers, KeepsTheClientsOrderAcrossCommas) {
    EXPECT_EQ(describe("permessage-deflate; client_max_window_bits; server_max_window_bits=10, "
                       "permessage-deflate; client_max_window_bits"),
              (Lines{"permessage-deflate; client_max_window_bits; server_max_window_bits=10",
                     "permessage-deflate; client_max_window_bits"}));
}

TEST(ExtensionOffers, AllowsWhitespaceAroundEverySeparator) {
    EXPECT_EQ(describe(" \tfoo ;bar= 1 ;\tbaz , qux\t;x =\"y\" "), (Lines{"foo; bar=1; baz", "qux; x=y"}));
    EXPECT_EQ(describe("foo;bar=1;baz,qux"), (Lines{"foo; bar=1; baz", "qux"}));
}

TEST(ExtensionOffers, UnquotesAndUnescapesAQuotedValue) {
    EXPECT_EQ(describe(R"(foo; a="10"; b="1\5")"), Lines{"foo; a=10; b=15"});
}

TEST(ExtensionOffers, KeepsTheClientsCase) { EXPECT_EQ(describe("PerMessage-Deflate; Foo=Bar"), Lines{"PerMessage-Deflate; Foo=Bar"}); }

TEST(ExtensionOffers, SkipsEmptyElements) {
    EXPECT_EQ(describe(", a, , b ,,"), (Lines{"a", "b"}));
    EXPECT_TRUE(describe("").empty());
    EXPECT_TRUE(describe(" , ,\t").empty());
}

TEST(ExtensionOffers, MarksAnElementThatBreaksTheGrammarAndGoesOnAtTheNextComma) {
    for (std::string_view bad : {"foo bar", "foo;", "foo; =1", "foo; a=", "foo; a==1", "foo; a=1 2", "foo; a b",
                                 ";a", "=", "foo; a=\"x y\"", "foo; a=\"\"", "foo; a=\"1,2\"", "foo; a=@",
                                 "foo/bar", "foo; a=\"1\"x"}) {
        EXPECT_EQ(describe(std::string(bad) + ", next"), (Lines{"!", "next"})) << bad;
    }
}

TEST(ExtensionOffers, DoesNotResyncOnACommaInsideAQuotedString) {
    EXPECT_EQ(describe(R"(foo; a="x, y", next; b=1)"), (Lines{"!", "next; b=1"}));
    EXPECT_EQ(describe(R"(foo; a="x\", y", next)"), (Lines{"!", "next"}));
}

TEST(ExtensionOffers, AnUnterminatedQuoteSpoilsTheRest) {
    EXPECT_EQ(describe(R"(ok, foo; a="1, next)"), (Lines{"ok", "!"}));
    EXPECT_EQ(describe(R"(foo; a="1\)"), Lines{"!"});
}

TEST(ExtensionOffers, RejectsControlAndNonAsciiBytesInTokens) {
    EXPECT_EQ(describe(std::string("fo\0o, b", 7)), (Lines{"!", "b"}));
    EXPECT_EQ(describe("f\xc3\xa9, b"), (Lines{"!", "b"}));
}

}  // namespace
