// Redis channel names -> routing targets, and the id rule shared with tokens and project filters.
#include "wsgw/channel.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using wsgw::ChannelKind;
using wsgw::is_valid_id;
using wsgw::parse_channel;

TEST(IsValidId, AcceptsLettersDigitsUnderscoreAndDash) {
    EXPECT_TRUE(is_valid_id("u1"));
    EXPECT_TRUE(is_valid_id("A-z_0-9"));
    EXPECT_TRUE(is_valid_id("-"));
    EXPECT_TRUE(is_valid_id("_"));
    EXPECT_TRUE(is_valid_id("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"));
}

TEST(IsValidId, AcceptsUpTo64Characters) {
    EXPECT_EQ(wsgw::kMaxIdLength, 64u);
    EXPECT_TRUE(is_valid_id(std::string(64, 'a')));
    EXPECT_FALSE(is_valid_id(std::string(65, 'a')));
}

TEST(IsValidId, RefusesEmpty) {
    EXPECT_FALSE(is_valid_id(""));
}

TEST(IsValidId, RefusesEveryOtherCharacter) {
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        const bool allowed = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                             ch == '_' || ch == '-';
        EXPECT_EQ(is_valid_id(std::string("a") + ch + "b"), allowed) << "byte 0x" << std::hex << c;
    }
}

TEST(IsValidId, RefusesSeparatorsAndPatternCharacters) {
    for (auto id : {"a b", "a:b", "a*", "a?", "a[b]", "a.b", "a/b", "caf\xc3\xa9"}) EXPECT_FALSE(is_valid_id(id)) << id;
}

TEST(ParseChannel, ParsesAUserChannel) {
    auto c = parse_channel("user_noti:u1");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, ChannelKind::user);
    EXPECT_EQ(c->user_id, "u1");
    EXPECT_TRUE(c->project_id.empty());
}

TEST(ParseChannel, ParsesAProjectChannel) {
    auto c = parse_channel("project:p1:u1");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, ChannelKind::project);
    EXPECT_EQ(c->project_id, "p1");
    EXPECT_EQ(c->user_id, "u1");
}

TEST(ParseChannel, AcceptsIdsOfMaximumLength) {
    std::string id(64, 'x');
    auto c = parse_channel("project:" + id + ":" + id);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->project_id, id);
    EXPECT_EQ(c->user_id, id);
}

TEST(ParseChannel, RefusesTheDocumentedBadShapes) {
    for (auto name : {"user_noti:", "project:p1", "project:p1:u1:x", "user_noti:a b"})
        EXPECT_FALSE(parse_channel(name)) << name;
}

TEST(ParseChannel, RefusesEmptyProjectOrUser) {
    for (auto name : {"project::u1", "project:p1:", "project::", "project:"}) EXPECT_FALSE(parse_channel(name)) << name;
}

TEST(ParseChannel, RefusesAUserChannelWithAnExtraSegment) {
    EXPECT_FALSE(parse_channel("user_noti:u1:x"));
}

TEST(ParseChannel, RefusesOverlongIds) {
    std::string longid(65, 'x');
    EXPECT_FALSE(parse_channel("user_noti:" + longid));
    EXPECT_FALSE(parse_channel("project:" + longid + ":u1"));
    EXPECT_FALSE(parse_channel("project:p1:" + longid));
}

TEST(ParseChannel, RefusesUnknownPrefixes) {
    for (auto name : {"", "user:u1", "USER_NOTI:u1", "user_noti", "projects:p1:u1", "noti:u1", " user_noti:u1"})
        EXPECT_FALSE(parse_channel(name)) << '"' << name << '"';
}

TEST(ParseChannel, ParsesEveryChannelItsPatternsDescribe) {
    // The subscriber listens on kUserPattern and kProjectPattern; a well-formed channel of each
    // must parse with the matching kind.
    std::string user_prefix(wsgw::kUserPattern.substr(0, wsgw::kUserPattern.size() - 1));
    auto u = parse_channel(user_prefix + "u1");
    ASSERT_TRUE(u) << user_prefix << "u1";
    EXPECT_EQ(u->kind, ChannelKind::user);

    std::string project = std::string(wsgw::kProjectPattern);
    project.replace(project.find('*'), 1, "p1");
    project.replace(project.find('*'), 1, "u1");
    auto p = parse_channel(project);
    ASSERT_TRUE(p) << project;
    EXPECT_EQ(p->kind, ChannelKind::project);
}

TEST(ChannelKindNames, AreUserAndProject) {
    EXPECT_EQ(wsgw::to_string(ChannelKind::user), "user");
    EXPECT_EQ(wsgw::to_string(ChannelKind::project), "project");
}

}  // namespace
