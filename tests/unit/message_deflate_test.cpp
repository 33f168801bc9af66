// Compressing a server message once for permessage-deflate: RFC 7692's example bytes, round
// trips through the inflater, and the same bytes from every thread.
#include "wsgw/message_deflate.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "../common/sample_messages.hpp"
#include "wsgw/message_inflate.hpp"

namespace {

using wsgw::ws::deflate_message;
using wsgw::ws::inflate_message;
using wsgw::ws::InflateStatus;

std::string hex(std::string_view s) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        if (!out.empty()) out += ' ';
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

TEST(DeflateMessage, CompressesHelloAsRfc7692Section7231) {
    // One fixed-Huffman block, not final, then the sync flush's empty stored block less its
    // last four bytes.
    auto out = deflate_message("Hello");
    ASSERT_TRUE(out);
    EXPECT_EQ(hex(*out), "f2 48 cd c9 c9 07 00");
}

TEST(DeflateMessage, CompressesTheEmptyMessageToOneByte) {
    // The empty stored block alone: 00, then 00 00 ff ff removed.
    auto out = deflate_message("");
    ASSERT_TRUE(out);
    EXPECT_EQ(hex(*out), "00");
}

TEST(DeflateMessage, RoundTripsEverySampleMessage) {
    for (const auto& [name, message] : wsgw::sample_messages::all(WSGW_FIXTURES_DIR)) {
        auto compressed = deflate_message(message);
        ASSERT_TRUE(compressed) << name;
        std::string back;
        ASSERT_EQ(inflate_message(*compressed, message.size(), back), InflateStatus::ok) << name;
        EXPECT_EQ(back, message) << name;
    }
}

TEST(DeflateMessage, ShrinksTheProjectsJsonMessages) {
    const std::string message = wsgw::sample_messages::long_notification();
    auto compressed = deflate_message(message);
    ASSERT_TRUE(compressed);
    EXPECT_LT(compressed->size() * 3, message.size()) << compressed->size() << " of " << message.size();
}

TEST(DeflateMessage, GivesTheSameBytesOnEveryThread) {
    // One frame is shared by every socket, so whichever thread compresses must produce it.
    const std::string message = wsgw::sample_messages::long_notification();
    const auto expected = deflate_message(message);
    ASSERT_TRUE(expected);
    std::vector<std::string> got(4);
    std::vector<std::thread> threads;
    for (auto& slot : got)
        threads.emplace_back([&slot, &message] {
            for (int i = 0; i < 50; ++i) slot = deflate_message(message).value_or("(failed)");
        });
    for (auto& t : threads) t.join();
    for (const auto& g : got) EXPECT_EQ(g, *expected);
}

}  // namespace
