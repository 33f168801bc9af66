#include "wsgw/permessage_deflate.hpp"

#include <array>

#include "wsgw/extension_offers.hpp"
#include "wsgw/message_deflate.hpp"
#include "wsgw/text.hpp"

namespace wsgw::ws {
namespace {

constexpr std::string_view kExtensionName = "permessage-deflate";
constexpr std::string_view kAlwaysAnswered =
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

// The four parameters of RFC 7692 section 7.1, in the order of `seen` below.
enum Param : std::size_t { server_no_context, client_no_context, server_window, client_window, unknown };

Param param_of(std::string_view name) noexcept {
    if (iequals(name, "server_no_context_takeover")) return server_no_context;
    if (iequals(name, "client_no_context_takeover")) return client_no_context;
    if (iequals(name, "server_max_window_bits")) return server_window;
    if (iequals(name, "client_max_window_bits")) return client_window;
    return unknown;
}

// Section 7.1.2's ABNF: %x38-39 / "1" %x30-35, so 8 to 15 without a leading zero or a sign.
std::optional<int> window_bits(std::string_view v) noexcept {
    if (v.size() == 1 && (v[0] == '8' || v[0] == '9')) return v[0] - '0';
    if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
    return std::nullopt;
}

// The response to one permessage-deflate offer, or nothing when it must be declined.
std::optional<std::string> answer(const ExtensionOffer& offer) {
    if (!offer.well_formed) return std::nullopt;
    std::array<bool, unknown> seen{};
    std::optional<int> server_bits;
    for (const ExtensionParam& p : offer.params) {
        const Param which = param_of(p.name);
        if (which == unknown || seen[which]) return std::nullopt;  // section 5: decline both
        seen[which] = true;
        switch (which) {
        case server_no_context:
        case client_no_context:
            if (p.value) return std::nullopt;
            break;
        case server_window:
            if (!p.value || !(server_bits = window_bits(*p.value))) return std::nullopt;
            // Section 7.1.2.1: the server must not use a larger window than asked for. The
            // compressor's window is fixed, since one compressed frame serves every socket.
            if (*server_bits < kDeflateWindowBits) return std::nullopt;
            break;
        case client_window:
            if (p.value && !window_bits(*p.value)) return std::nullopt;
            break;
        case unknown:
            break;
        }
    }
    std::string response(kAlwaysAnswered);
    // Section 7.1.2.1: an offer with server_max_window_bits is accepted by answering with the
    // same or a smaller value.
    if (server_bits) response.append("; server_max_window_bits=").append(std::to_string(kDeflateWindowBits));
    return response;
}

}  // namespace

std::optional<PermessageDeflateAgreement> negotiate_permessage_deflate(std::string_view offers) {
    for (const ExtensionOffer& offer : parse_extension_offers(offers)) {
        if (!iequals(offer.name, kExtensionName)) continue;
        if (auto response = answer(offer)) return PermessageDeflateAgreement{std::move(*response)};
    }
    return std::nullopt;
}

}  // namespace wsgw::ws
