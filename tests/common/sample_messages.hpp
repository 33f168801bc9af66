#pragma once
// Messages the gateway carries, for round trips through the permessage-deflate codec: every
// spec fixture (tests/fixtures/spec, as published and as sent), a notification over 1 KiB, an
// empty message, and larger text and random bytes.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace wsgw::sample_messages {

using Named = std::pair<std::string, std::string>;

inline std::string long_notification() {
    std::string body;
    for (int i = 0; body.size() < 1200; ++i)
        body += "Page /docs/section-" + std::to_string(i) + " was crawled and analyzed; 3 warnings. ";
    return R"({"type":"notification","id":"Xq3vL0d9aBc","payload":{"title":"Crawl report","body":")" + body +
           R"("},"timestamp":"2025-12-07T10:00:00Z"})";
}

inline std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xFF);
    return s;
}

// `fixtures_dir`: WSGW_FIXTURES_DIR.
inline std::vector<Named> all(const std::string& fixtures_dir) {
    std::vector<Named> out;
    for (const auto& entry : std::filesystem::directory_iterator(fixtures_dir + "/spec")) {
        std::ifstream in(entry.path(), std::ios::binary);
        out.emplace_back(entry.path().filename().string(),
                         std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    }
    out.emplace_back("long notification", long_notification());
    out.emplace_back("empty", "");
    out.emplace_back("70 KB of text", std::string(70'000, 'a') + long_notification());
    out.emplace_back("5000 random bytes", random_bytes(5000, 7));
    return out;
}

}  // namespace wsgw::sample_messages
