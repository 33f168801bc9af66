#include "wsgw/stream_id.hpp"

#include <gtest/gtest.h>

namespace wsgw {
namespace {

TEST(StreamId, ParsesTheFormRedisGivesAndWritesItBack) {
    auto id = parse_stream_id("1733490000000-7");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->ms, 1733490000000u);
    EXPECT_EQ(id->seq, 7u);
    EXPECT_EQ(id->text(), "1733490000000-7");
    EXPECT_EQ(parse_stream_id("0-0")->text(), "0-0");
}

TEST(StreamId, OrdersByMillisecondsThenSequenceNotByText) {
    EXPECT_LT(*parse_stream_id("9-0"), *parse_stream_id("10-0")) << "text order would put 9-0 last";
    EXPECT_LT(*parse_stream_id("10-2"), *parse_stream_id("10-10"));
    EXPECT_EQ(*parse_stream_id("10-2"), *parse_stream_id("10-2"));
}

TEST(StreamId, RefusesEveryOtherShape) {
    for (const char* bad : {"", "-", "1-", "-1", "1", "1-2-3", "a-1", "1-b", "+1-1", "1-+1", " 1-1", "1-1 ",
                            "0x1-1", "1.5-1", "derivedHash_x", "99999999999999999999-0", "18446744073709551616-0",
                            "1-18446744073709551616", "123456789012345678901-0"})
        EXPECT_FALSE(parse_stream_id(bad)) << bad;
    EXPECT_TRUE(parse_stream_id("18446744073709551615-18446744073709551615")) << "the largest id Redis can give";
}

TEST(StreamId, ItsTimeIsTheServersMillisecondsClampedForFarOffClocks) {
    using namespace std::chrono;
    EXPECT_EQ(parse_stream_id("1733490000123-0")->time(), system_clock::time_point(milliseconds(1733490000123)));
    // Under UBSan: the largest id must not overflow the clock's representation.
    const auto far = parse_stream_id("18446744073709551615-0")->time();
    EXPECT_EQ(far, system_clock::time_point(milliseconds(4'000'000'000'000)));
}

}  // namespace
}  // namespace wsgw
