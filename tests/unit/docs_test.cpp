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

// The operations guide carries the full option table, generated from the option table itself:
// on a mismatch, this test prints the table to paste.
std::string expected_operations_table() {
    wsgw::Config defaults;
    std::string out = "| file key | environment | flag | default | meaning |\n|---|---|---|---|---|\n";
    for (const auto& opt : wsgw::config_options()) {
        std::string value = opt.show(defaults);
        if (opt.key == "threads") value = "number of cores";
        else if (opt.secret) value = "(unset)";
        else value = value.empty() ? "(empty)" : "`" + value + "`";
        out += "| `" + std::string(opt.key) + "` | `" + wsgw::env_name(opt.key) + "` | `" + wsgw::flag_name(opt.key) +
               "` | " + value + " | " + std::string(opt.help) + " |\n";
    }
    return out;
}

TEST(Docs, OperationsGuideOptionTableMatchesTheCode) {
    auto guide = read_source_file("docs/operations.md");
    ASSERT_FALSE(guide.empty());
    auto table = expected_operations_table();
    EXPECT_NE(guide.find(table), std::string::npos)
        << "docs/operations.md's option table differs from the code; the current table is:\n" << table;
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
