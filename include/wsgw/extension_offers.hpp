#pragma once
// The Sec-WebSocket-Extensions grammar of RFC 6455 section 9.1, without meaning: the offers of a
// request in the client's order, each a name and its parameters. What an offer means, and
// whether to accept it, belongs to the extension (permessage_deflate.hpp).
//
//   extension-list = 1#extension
//   extension      = extension-token *( ";" extension-param )
//   extension-param = token [ "=" (token | quoted-string) ]
//       ; a quoted-string value, once unescaped, must be a token too
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsgw::ws {

struct ExtensionParam {
    std::string name;
    std::optional<std::string> value;  // unquoted and unescaped; nullopt: the parameter had no "="
};

struct ExtensionOffer {
    std::string name;
    std::vector<ExtensionParam> params;
    // False when the element broke the grammar (a missing token, a stray character, a quoted
    // value that is no token): the offer must be declined, whatever its name. Parsing goes on
    // at the next comma outside a quoted-string, so one bad element costs only itself.
    bool well_formed = true;
};

// Every element of `header` (all field lines joined with ", "), in order. Optional whitespace
// is allowed around ",", ";" and "="; empty elements ("a, , b") are skipped, as RFC 9110
// section 5.6.1 asks of a recipient. Names keep the client's case.
std::vector<ExtensionOffer> parse_extension_offers(std::string_view header);

}  // namespace wsgw::ws
