// The documentation of every configuration key is checked against the option table, so that
// neither can drift from the other.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "wsgw/config.hpp"

namespace {

std::string read_source_file(const std::string& relative) {
    std::ifstream in(std::string(WSGW_SOURCE_DIR) + "/" + relative);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(Docs, ReadmeConfigTableListsEveryKeyWithItsEnvName) {
    auto readme = read_source_file("README.md");
    ASSERT_FALSE(readme.empty());
    for (const auto& opt : wsgw::config_options()) {
        std::string row = "| `" + std::string(opt.key) + "` | `" + wsgw::env_name(opt.key) + "` |";
        EXPECT_NE(readme.find(row), std::string::npos) << "README.md has no config table row for " << opt.key;
    }
}

TEST(Docs, ExampleConfigDocumentsEveryKey) {
    auto conf = read_source_file("config/ws-gateway.conf");
    ASSERT_FALSE(conf.empty());
    for (const auto& opt : wsgw::config_options()) {
        std::string key(opt.key);
        bool present = conf.find("\n" + key + " =") != std::string::npos || conf.find("\n# " + key + " =") != std::string::npos;
        EXPECT_TRUE(present) << "config/ws-gateway.conf does not document " << key;
    }
}

TEST(Docs, ExampleConfigLoadsWithoutErrorsOnceASecretIsGiven) {
    auto conf = read_source_file("config/ws-gateway.conf");
    auto env = [](std::string_view name) -> std::optional<std::string> {
        if (name == "WSGW_JWT_SECRET") return std::string("s");
        return std::nullopt;
    };
    auto load = wsgw::load_config({"--config", "example.conf"}, env,
                                  [&](const std::string&) -> std::optional<std::string> { return conf; }, 2);
    for (const auto& e : load.errors) ADD_FAILURE() << e;
}

}  // namespace
