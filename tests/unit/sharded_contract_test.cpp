#include "wsgw/sharded_contract.hpp"

#include <gtest/gtest.h>

#include "wsgw/cluster_topology.hpp"

namespace wsgw {
namespace {

TEST(ShardedContract, StreamAndShardChannelShareTheSlotOfTheUserKey) {
    for (const char* user : {"alice", "u-1", "X_9", "a"}) {
        EXPECT_EQ(key_slot(user_stream_key(user)), key_slot(user)) << user;
        EXPECT_EQ(key_slot(user_shard_channel(user)), key_slot(user)) << user;
    }
    EXPECT_EQ(user_stream_key("alice"), "wsgw:{alice}:stream");
    EXPECT_EQ(user_shard_channel("alice"), "wsgw:{alice}:live");
}

TEST(ShardedContract, AShardChannelNamesItsUser) {
    EXPECT_EQ(shard_channel_user("wsgw:{alice}:live"), "alice");
    for (const char* other : {"wsgw:{}:live", "wsgw:{alice}:stream", "user_noti:alice", "wsgw:{alice}:live:x", ""})
        EXPECT_FALSE(shard_channel_user(other)) << other;
}

TEST(ShardedContract, ALiveMessageSplitsAtItsFirstTwoSpacesOnly) {
    auto m = parse_live_message(R"(1-0 user_noti:alice {"type":"alert", "payload":{"a b":1}})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->id, "1-0");
    EXPECT_EQ(m->channel, "user_noti:alice");
    EXPECT_EQ(m->message, R"({"type":"alert", "payload":{"a b":1}})");
    auto empty = parse_live_message("1-0 user_noti:alice ");
    ASSERT_TRUE(empty) << "an empty message is the validator's to refuse";
    EXPECT_EQ(empty->message, "");
    for (const char* bad : {"", "1-0", "1-0 user_noti:alice", " user_noti:alice x", "1-0  x"})
        EXPECT_FALSE(parse_live_message(bad)) << bad;
}

TEST(ShardedContract, TheLibraryCarriesTheRetentionSettings) {
    const auto src = publish_library_source({100, std::chrono::seconds(60), 4096});
    EXPECT_TRUE(src.starts_with("#!lua name=wsgw\n")) << "FUNCTION LOAD needs the shebang with the library name";
    EXPECT_NE(src.find("'MAXLEN', '~', 100,"), std::string::npos) << src;
    EXPECT_NE(src.find("PEXPIRE', stream, 60000)"), std::string::npos) << src;
    EXPECT_NE(src.find("#message > 4096"), std::string::npos) << src;
    EXPECT_NE(src.find("redis.register_function('wsgw_publish', publish)"), std::string::npos);
}

TEST(ShardedContract, WithResumeOffTheLibraryKeepsNothingAndLetsTheEmptyStreamExpire) {
    for (StreamRetention off : {StreamRetention{0, std::chrono::seconds(300), 65536}, StreamRetention{256, std::chrono::seconds(0), 65536}}) {
        const auto src = publish_library_source(off);
        EXPECT_NE(src.find("'MAXLEN', 0,"), std::string::npos) << src;
        EXPECT_NE(src.find("PEXPIRE', stream, 1000)"), std::string::npos) << src;
    }
}

}  // namespace
}  // namespace wsgw
