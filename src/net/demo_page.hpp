#pragma once
// The browser demo page (src/net/demo/demo.html), compiled into the binary; served at /demo only
// when demo_enabled is set.
#include <string_view>

namespace wsgw {

std::string_view demo_page_html() noexcept;

}  // namespace wsgw
