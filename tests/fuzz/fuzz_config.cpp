// libFuzzer target: configuration loading. The input is the config file; loading must end in a
// config or in errors, never in a crash, and no error may contain the secret's value.
#include <cstdint>
#include <string>
#include <string_view>

#include "wsgw/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto env = [](std::string_view name) -> std::optional<std::string> {
        if (name == "WSGW_CONFIG") return std::string("fuzz.conf");
        return std::nullopt;
    };
    auto read = [&](const std::string&) -> std::optional<std::string> { return text; };
    auto load = wsgw::load_config({}, env, read, 2);
    std::string ignored;
    (void)wsgw::parse_redis_url(text, ignored);
    (void)wsgw::parse_listen(text, ignored);
    if (load.errors.empty() && load.config.threads == 0) __builtin_trap();
    return 0;
}
