// The documentation of every configuration key is checked against the option table, so that
// neither can drift from the other.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "wsgw/config.hpp"
#include "wsgw/metrics.hpp"

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

// Every log event the code writes, read from the source: log::info("name", ...),
// log::event(level, "name", ...) and the refusal helper's log_refusal(limiter, "name", ...).
std::set<std::string> logged_events() {
    static const std::regex call(R"re((?:log::(?:trace|debug|info|warn|error|critical)\(|log::event\([^,]+,|log_refusal\([^,]+,)\s*"([a-z_]+)")re");
    std::set<std::string> events;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(WSGW_SOURCE_DIR) + "/src")) {
        const auto ext = entry.path().extension();
        if (ext != ".cpp" && ext != ".hpp") continue;
        std::ifstream in(entry.path());
        std::ostringstream ss;
        ss << in.rdbuf();
        const auto text = ss.str();
        for (std::sregex_iterator it(text.begin(), text.end(), call), end; it != end; ++it) events.insert((*it)[1]);
    }
    return events;
}

// The part of a document from `heading` to the next heading of the same level.
std::string section(const std::string& doc, const std::string& heading) {
    auto start = doc.find("\n" + heading + "\n");
    if (start == std::string::npos) return {};
    auto end = doc.find("\n## ", start + heading.size() + 2);
    return doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(Docs, EveryLogEventTheCodeWritesIsInTheOperationsGuide) {
    auto table = section(read_source_file("docs/operations.md"), "## Log events");
    ASSERT_FALSE(table.empty());
    auto events = logged_events();
    ASSERT_GT(events.size(), 30u) << "the source scan found too few events to be right";
    for (const auto& e : events)
        EXPECT_NE(table.find("`" + e + "`"), std::string::npos) << "docs/operations.md's log events lack " << e;
}

TEST(Docs, EveryLogEventTheReadmeNamesIsWrittenByTheCode) {
    auto readme = read_source_file("README.md");
    auto start = readme.find("- **Logs**:");
    ASSERT_NE(start, std::string::npos);
    auto list = readme.substr(start, readme.find("\n- **", start + 1) - start);
    auto events = logged_events();
    static const std::regex name("`([a-z]+_[a-z_]+)`");
    for (std::sregex_iterator it(list.begin(), list.end(), name), end; it != end; ++it)
        EXPECT_TRUE(events.count((*it)[1])) << "README.md names a log event the code never writes: " << (*it)[1];
}

TEST(Docs, TheMetricsTableNamesEveryMetricAndNoOther) {
    wsgw::Metrics m;
    m.set_redis_node("redis:6379");  // shown only while subscribed
    m.jwks_enabled = true;            // the key set's metrics only with jwt_jwks_url
    m.sharded_enabled = true;         // and sharded mode's only in it
    m.jwks_loaded_at_ms = 1;          // and its age once a set was loaded
    const auto text = wsgw::render_prometheus(m);
    auto table = section(read_source_file("docs/operations.md"), "## Metrics");
    ASSERT_FALSE(table.empty());
    static const std::regex type_line("# TYPE (wsgw_[a-z_]+) ");
    std::set<std::string> rendered;
    for (std::sregex_iterator it(text.begin(), text.end(), type_line), end; it != end; ++it) rendered.insert((*it)[1]);
    ASSERT_GT(rendered.size(), 20u);
    for (const auto& name : rendered)
        EXPECT_NE(table.find("`" + name + "`"), std::string::npos) << "docs/operations.md's metrics table lacks " << name;
    static const std::regex documented("`(wsgw_[a-z_]+)`");
    for (std::sregex_iterator it(table.begin(), table.end(), documented), end; it != end; ++it)
        EXPECT_TRUE(rendered.count((*it)[1])) << "docs/operations.md documents a metric the code does not render: " << (*it)[1];
}

// Frames as a client receives them (compact JSON lines in the client docs) have the shape the
// gateway builds: type, id, payload, timestamp, in that order.
TEST(Docs, ReceivedFrameExamplesHaveTheFramesShape) {
    std::size_t checked = 0;
    for (const char* doc : {"docs/clients.md", "docs/websocket-messages.md"}) {
        std::istringstream in(read_source_file(doc));
        std::string line;
        while (std::getline(in, line)) {
            if (!line.starts_with("{\"type\":\"")) continue;
            auto frame = nlohmann::ordered_json::parse(line, nullptr, false);
            ASSERT_TRUE(frame.is_object()) << doc << ": not JSON: " << line;
            std::vector<std::string> keys;
            for (const auto& [key, value] : frame.items()) keys.push_back(key);
            EXPECT_EQ(keys, (std::vector<std::string>{"type", "id", "payload", "timestamp"})) << doc << ": " << line;
            ++checked;
        }
    }
    EXPECT_GE(checked, 5u);
}

}  // namespace
