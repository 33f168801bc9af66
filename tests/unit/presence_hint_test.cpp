// PresenceHint: a hint may say "maybe" for a user not held (a shared slot), never "no" for a user
// that is.
#include "wsgw/presence_hint.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

TEST(PresenceHint, SaysMaybeWhileAnySocketOfTheUserIsRegistered) {
    auto hint = std::make_unique<wsgw::PresenceHint>();
    EXPECT_FALSE(hint->maybe_held("u1"));
    hint->add("u1");
    hint->add("u1");
    EXPECT_TRUE(hint->maybe_held("u1"));
    hint->remove("u1");
    EXPECT_TRUE(hint->maybe_held("u1")) << "one socket of two is still registered";
    hint->remove("u1");
    EXPECT_FALSE(hint->maybe_held("u1"));
}

TEST(PresenceHint, MostUsersNotHeldReadAsNotHeld) {
    auto hint = std::make_unique<wsgw::PresenceHint>();
    for (int i = 0; i < 100; ++i) hint->add("held-" + std::to_string(i));
    int maybe = 0;
    for (int i = 0; i < 10'000; ++i) maybe += hint->maybe_held("elsewhere-" + std::to_string(i));
    EXPECT_LT(maybe, 200) << "with 100 users held of 16384 slots, about 0.6% of others share a slot";
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(hint->maybe_held("held-" + std::to_string(i)));
}

}  // namespace
