#include "wsgw/extension_offers.hpp"

#include <cstring>

namespace wsgw::ws {
namespace {

// RFC 9110 section 5.6.2: tchar.
bool is_tchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

// Walks one header value; every method leaves `at` just past what it consumed.
class Scanner {
public:
    explicit Scanner(std::string_view text) noexcept : text_(text) {}

    bool done() const noexcept { return at_ >= text_.size(); }
    bool next_is(char c) const noexcept { return !done() && text_[at_] == c; }
    void advance() noexcept { ++at_; }

    void skip_ows() noexcept {
        while (!done() && (text_[at_] == ' ' || text_[at_] == '\t')) ++at_;
    }

    std::optional<std::string> token() {
        const std::size_t from = at_;
        while (!done() && is_tchar(text_[at_])) ++at_;
        if (at_ == from) return std::nullopt;
        return std::string(text_.substr(from, at_ - from));
    }

    // RFC 9110 section 5.6.4: DQUOTE *( qdtext / quoted-pair ) DQUOTE, unescaped. Consumes up to
    // the closing quote even when the content is refused, so a later resync starts outside it.
    std::optional<std::string> quoted_string() {
        if (!next_is('"')) return std::nullopt;
        ++at_;
        std::string out;
        while (!done()) {
            const char c = text_[at_++];
            if (c == '"') return out;
            if (c == '\\') {
                if (done()) break;
                out += text_[at_++];
            } else {
                out += c;
            }
        }
        return std::nullopt;  // no closing quote
    }

    // Past the next comma that is not inside a quoted-string (or to the end).
    void skip_element() {
        while (!done()) {
            if (next_is('"')) {
                quoted_string();
            } else if (text_[at_++] == ',') {
                return;
            }
        }
    }

private:
    std::string_view text_;
    std::size_t at_ = 0;
};

// extension-param after its ";": token [ "=" (token | quoted-string) ].
std::optional<ExtensionParam> parse_param(Scanner& in) {
    ExtensionParam param;
    auto name = in.token();
    if (!name) return std::nullopt;
    param.name = std::move(*name);
    in.skip_ows();
    if (!in.next_is('=')) return param;
    in.advance();
    in.skip_ows();
    auto value = in.next_is('"') ? in.quoted_string() : in.token();
    if (!value || !is_token(*value)) return std::nullopt;
    param.value = std::move(value);
    return param;
}

// One element, up to (not past) the comma that ends it. False on a grammar violation.
bool parse_element(Scanner& in, ExtensionOffer& offer) {
    auto name = in.token();
    if (!name) return false;
    offer.name = std::move(*name);
    for (;;) {
        in.skip_ows();
        if (in.done() || in.next_is(',')) return true;
        if (!in.next_is(';')) return false;
        in.advance();
        in.skip_ows();
        auto param = parse_param(in);
        if (!param) return false;
        offer.params.push_back(std::move(*param));
    }
}

}  // namespace

std::vector<ExtensionOffer> parse_extension_offers(std::string_view header) {
    std::vector<ExtensionOffer> offers;
    Scanner in(header);
    for (;;) {
        in.skip_ows();
        if (in.done()) break;
        if (in.next_is(',')) {
            in.advance();
            continue;
        }
        ExtensionOffer offer;
        if (parse_element(in, offer)) {
            if (in.next_is(',')) in.advance();
        } else {
            offer.well_formed = false;
            in.skip_element();
        }
        offers.push_back(std::move(offer));
    }
    return offers;
}

}  // namespace wsgw::ws
