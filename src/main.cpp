// ws-gateway: Redis Pub/Sub -> WebSocket push gateway.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "net/gateway.hpp"
#include "net/logging.hpp"
#include "net/tls_context.hpp"
#include "wsgw/config.hpp"
#include "wsgw/cpu_limit.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    auto env = [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
    };
    auto read_file = [](const std::string& path) -> std::optional<std::string> {
        std::ifstream in(path, std::ios::binary);
        if (!in) return std::nullopt;
        std::ostringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    // threads defaults to the CPUs the cgroup allows, not the host's core count.
    const auto cpus = wsgw::cpu_limit(std::thread::hardware_concurrency(), read_file);
    auto load = wsgw::load_config(args, env, read_file, cpus.cpus);
    if (load.show_help) {
        std::cout << wsgw::usage_text();
        return 0;
    }
    if (load.show_version) {
        std::cout << "ws-gateway " WSGW_VERSION "\n";
        return 0;
    }
    if (load.check_only && load.errors.empty() && !load.config.tls_cert_file.empty()) {
        // The certificate and key are read as the gateway would read them at start.
        try {
            wsgw::TlsContextStore tls(load.config.tls_cert_file, load.config.tls_key_file);
        } catch (const std::exception& e) {
            load.errors.push_back(e.what());
        }
    }
    if (!load.errors.empty()) {
        for (const auto& e : load.errors) std::cerr << "ws-gateway: config error: " << e << "\n";
        return 2;
    }
    const auto& config = load.config;
    if (load.check_only) {
        // The effective settings in the config file's own form, secrets redacted.
        for (const auto& [key, value] : wsgw::describe(config)) std::cout << key << " = " << value << "\n";
        std::cout << "# configuration is valid\n";
        return 0;
    }
    wsgw::log::init(config.log_level, config.log_format);
    {
        // The effective configuration, secrets redacted, as one event.
        auto described = wsgw::describe(config);
        std::vector<wsgw::LogField> fields{{"version", WSGW_VERSION}};
        for (const auto& [k, v] : described) fields.push_back({k, v});
        wsgw::log::event(wsgw::log::Level::info, "start", fields);
        wsgw::log::info("cpus", {{"threads", config.threads},
                                 {"available", cpus.cpus},
                                 {"hardware", cpus.hardware},
                                 {"cgroup_quota", cpus.quota.value_or(0.0)},
                                 {"source", cpus.source}});
    }
    try {
        wsgw::Gateway gateway(config);
        gateway.run();
    } catch (const std::exception& e) {
        wsgw::log::error("fatal", {{"error", std::string_view(e.what())}, {"listen", config.listen}});
        std::cerr << "ws-gateway: " << e.what() << " (listen=" << config.listen << ")\n";
        return 1;
    }
    return 0;
}
