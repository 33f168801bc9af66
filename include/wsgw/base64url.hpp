#pragma once
// base64url (RFC 4648 section 5), as JOSE uses it: token parts and JWK members.
#include <optional>
#include <string>
#include <string_view>

namespace wsgw {

// Decodes unpadded (or '='-padded) base64url; nullopt on any character outside the alphabet or
// an impossible length.
std::optional<std::string> base64url_decode(std::string_view in);

}  // namespace wsgw
