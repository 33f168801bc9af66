// The resume window: what a reconnecting client is sent after its last id, and every bound.
#include "wsgw/resume_window.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using wsgw::MessageType;
using wsgw::ResumeLimits;
using wsgw::RetainedMeta;
using namespace std::chrono;

using Clock = std::chrono::steady_clock;
const Clock::time_point t0{};

struct Msg {
    std::string id;
    MessageType type = MessageType::notification;
    std::string channel_project = {};
    std::string payload_project = {};
    std::size_t bytes = 100;
};

struct MsgTraits {
    static std::string_view id(const std::shared_ptr<const Msg>& m) { return m->id; }
    static std::string_view channel_project(const std::shared_ptr<const Msg>& m) { return m->channel_project; }
};
using Window = wsgw::ResumeWindow<std::shared_ptr<const Msg>, MsgTraits>;

void put(Window& w, const std::string& user, const Msg& m, Clock::time_point at = t0) {
    w.put(user, std::make_shared<const Msg>(m), RetainedMeta{m.payload_project, m.type, m.bytes}, at);
}

Msg progress(const std::string& id, const std::string& project) {
    return {id, MessageType::project_progress, project, project};
}
Msg completed(const std::string& id, const std::string& project) {
    return {id, MessageType::project_completed, project, project};
}

std::optional<std::vector<std::string>> since(Window& w, const std::string& user, const std::string& last,
                                              const std::string& filter = "", Clock::time_point at = t0) {
    auto items = w.since(user, last, filter, at);
    if (!items) return std::nullopt;
    std::vector<std::string> ids;
    for (const auto& i : *items) ids.push_back(i->id);
    return ids;
}

using Ids = std::vector<std::string>;

TEST(ResumeWindow, ReturnsWhatCameAfterTheLastIdInOrder) {
    Window w({});
    for (const char* id : {"a", "b", "c", "d"}) put(w, "u1", {id});
    put(w, "u2", {"x"});
    EXPECT_EQ(since(w, "u1", "b"), (Ids{"c", "d"}));
    EXPECT_EQ(since(w, "u1", "d"), Ids{}) << "up to date: nothing to send, and not a miss";
    EXPECT_EQ(since(w, "u1", "x"), std::nullopt) << "another user's id is unknown here";
}

// The seam: a socket resumes right after it registers, on the thread that feeds the window, so
// a message is either in what since() returns (it arrived before) or delivered live (after),
// never both.
TEST(ResumeWindow, AMessageArrivingAfterAResumeIsNotPartOfIt) {
    Window w({});
    put(w, "u1", {"a"});
    put(w, "u1", {"b"});
    auto resumed = since(w, "u1", "a");
    put(w, "u1", {"c"});  // fanned out live to the now registered socket
    EXPECT_EQ(resumed, Ids{"b"});
    EXPECT_EQ(since(w, "u1", "b"), Ids{"c"}) << "and the next resume starts after it";
}

// One window serves every thread: a reader sees only what its own thread has fanned out (up to
// that message's arrival number); what was filed after reaches its sockets live.
TEST(ResumeWindow, AReaderSeesOnlyWhatItsThreadHasFannedOut) {
    Window w({});
    const auto at = [&](const char* id) {
        return w.put("u1", std::make_shared<const Msg>(Msg{id}), RetainedMeta{"", MessageType::notification, 100}, t0);
    };
    const auto a = at("a");
    const auto b = at("b");
    const auto c = at("c");
    EXPECT_EQ(a, 1u);
    EXPECT_EQ(b, 2u);
    EXPECT_EQ(c, 3u);
    auto ids = [&](std::string_view last, std::uint64_t up_to) -> std::optional<Ids> {
        auto items = w.since("u1", last, "", t0, up_to);
        if (!items) return std::nullopt;
        Ids out;
        for (const auto& i : *items) out.push_back(i->id);
        return out;
    };
    EXPECT_EQ(ids("a", b), Ids{"b"}) << "c is on its way to this thread: it comes live, not twice";
    EXPECT_EQ(ids("a", c), (Ids{"b", "c"}));
    EXPECT_EQ(ids("c", b), std::nullopt) << "an id the thread has not fanned out yet is not found";
    EXPECT_FALSE(w.holds("u1", "c", b)) << "so a resume from it waits";
    EXPECT_TRUE(w.holds("u1", "c", c));
    EXPECT_TRUE(w.holds("u1", "a", a));
    EXPECT_FALSE(w.holds("u1", "a", 0));
}

TEST(ResumeWindow, FilesNothingAndNumbersNothingWhenOff) {
    Window w(ResumeLimits{seconds(0)});
    EXPECT_EQ(w.put("u1", std::make_shared<const Msg>(Msg{"a"}), RetainedMeta{}, t0), 0u);
    EXPECT_EQ(w.messages(), 0u);
}

TEST(ResumeWindow, AnUnknownIdIsAMiss) {
    Window w({});
    put(w, "u1", {"a"});
    EXPECT_EQ(since(w, "u1", "zzz"), std::nullopt);
    EXPECT_EQ(since(w, "nobody", "a"), std::nullopt);
    EXPECT_EQ(since(w, "u1", ""), std::nullopt);
}

TEST(ResumeWindow, KeepsOnlyWhatAProjectFilterAdmits) {
    Window w({});
    put(w, "u1", {"a"});
    put(w, "u1", {"n1"});                                     // user_noti: reaches every socket
    put(w, "u1", {"p1", MessageType::update, "proj1", ""});  // project:proj1:u1
    put(w, "u1", {"p2", MessageType::update, "proj2", ""});  // project:proj2:u1
    EXPECT_EQ(since(w, "u1", "a", "proj1"), (Ids{"n1", "p1"}));
    EXPECT_EQ(since(w, "u1", "a"), (Ids{"n1", "p1", "p2"}));
}

TEST(ResumeWindow, ResumesAfterTheLatestOfTwoIdenticalIds) {
    Window w({});
    put(w, "u1", {"dup"});
    put(w, "u1", {"a"});
    put(w, "u1", {"dup"});
    put(w, "u1", {"b"});
    EXPECT_EQ(since(w, "u1", "dup"), (Ids{"b"}));
}

TEST(ResumeWindow, ForgetsMessagesOlderThanTheWindow) {
    Window w(ResumeLimits{seconds(300), 256, 1 << 20});
    put(w, "u1", {"old"}, t0);
    put(w, "u1", {"new"}, t0 + 200s);
    EXPECT_EQ(since(w, "u1", "old", "", t0 + 299s), (Ids{"new"}));
    EXPECT_EQ(since(w, "u1", "old", "", t0 + 301s), std::nullopt) << "older than the window";
    EXPECT_EQ(w.messages(), 1u);
    EXPECT_EQ(w.evictions(), 0u) << "ageing out is not an eviction";
}

TEST(ResumeWindow, KeepsAtMostTheMessageBoundPerUser) {
    Window w(ResumeLimits{seconds(300), 3, 1 << 20});
    for (const char* id : {"a", "b", "c", "d", "e"}) put(w, "u1", {id});
    put(w, "u2", {"x"});
    EXPECT_EQ(since(w, "u1", "b"), std::nullopt) << "evicted";
    EXPECT_EQ(since(w, "u1", "c"), (Ids{"d", "e"}));
    EXPECT_EQ(w.messages(), 4u);
    EXPECT_EQ(w.evictions(), 2u);
}

TEST(ResumeWindow, StaysUnderTheByteBoundWithManyUsers) {
    const std::size_t bound = 256 * 1024;
    Window w(ResumeLimits{seconds(300), 256, bound});
    for (int i = 0; i < 10'000; ++i) {
        put(w, "user" + std::to_string(i), {"m" + std::to_string(i), MessageType::notification, "", "", 200});
        ASSERT_LE(w.bytes(), bound) << "after " << i + 1 << " messages";
    }
    EXPECT_GT(w.evictions(), 0u);
    EXPECT_EQ(since(w, "user9999", "m9999"), Ids{}) << "the newest stays";
    EXPECT_EQ(since(w, "user0", "m0"), std::nullopt) << "the oldest went first";
    EXPECT_LT(w.users(), 10'000u) << "users whose entries all left are forgotten";
}

TEST(ResumeWindow, ReleasesEverythingOnceItAllAgesOut) {
    Window w(ResumeLimits{seconds(10), 256, 1 << 20});
    for (int i = 0; i < 100; ++i) put(w, "u" + std::to_string(i % 7), {"m" + std::to_string(i)}, t0);
    put(w, "late", {"z"}, t0 + 11s);
    EXPECT_EQ(w.messages(), 1u);
    EXPECT_EQ(w.users(), 1u);
    EXPECT_EQ(w.bytes(), Window::kUserOverhead + Window::kEntryOverhead + 100 + 3 * sizeof(void*))
        << "one user, one entry, its frame and its place in the eviction order";
}

TEST(ResumeWindow, CoalescesProgressPerProjectButKeepsTheIdFindable) {
    Window w({});
    put(w, "u1", {"start"});
    put(w, "u1", progress("g1", "p1"));
    put(w, "u1", {"note"});
    put(w, "u1", progress("g2", "p1"));
    put(w, "u1", progress("h1", "p2"));
    put(w, "u1", progress("g3", "p1"));
    EXPECT_EQ(since(w, "u1", "start"), (Ids{"note", "h1", "g3"})) << "only the latest progress of p1";
    EXPECT_EQ(since(w, "u1", "g1"), (Ids{"note", "h1", "g3"})) << "a replaced progress is still a resume point";
    EXPECT_EQ(since(w, "u1", "g2"), (Ids{"h1", "g3"}));
    EXPECT_EQ(w.coalesced(), 2u);
    EXPECT_EQ(w.messages(), 4u);
}

TEST(ResumeWindow, NeverCoalescesProgressAcrossACompletion) {
    Window w({});
    put(w, "u1", {"start"});
    put(w, "u1", progress("g1", "p1"));
    put(w, "u1", completed("done", "p1"));
    put(w, "u1", progress("g2", "p1"));  // the project runs again
    EXPECT_EQ(since(w, "u1", "start"), (Ids{"g1", "done", "g2"}));
}

TEST(ResumeWindow, ProgressFloodsTakeOneSlotPerProject) {
    Window w(ResumeLimits{seconds(300), 4, 1 << 20});
    put(w, "u1", {"n1"});
    put(w, "u1", {"n2"});
    const int ticks = static_cast<int>(4 * Window::kMarkersPerMessage);
    for (int i = 0; i < ticks; ++i) put(w, "u1", progress("g" + std::to_string(i), "p1"));
    EXPECT_EQ(since(w, "u1", "n1"), (Ids{"n2", "g" + std::to_string(ticks - 1)}))
        << "the messages before the flood keep their place";
    EXPECT_EQ(w.messages(), 3u);
    // Past the marker bound, the oldest entries go, as with any other bound.
    for (int i = 0; i < 10; ++i) put(w, "u1", progress("h" + std::to_string(i), "p1"));
    EXPECT_EQ(since(w, "u1", "n1"), std::nullopt);
    EXPECT_GT(w.evictions(), 0u);
}

TEST(ResumeWindow, DisabledKeepsNothing) {
    Window w(ResumeLimits{seconds(0), 256, 1 << 20});
    put(w, "u1", {"a"});
    put(w, "u1", {"b"});
    EXPECT_EQ(since(w, "u1", "a"), std::nullopt);
    EXPECT_EQ(w.bytes(), 0u);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Messages kept raw, validated only when their user's window is read
// ---------------------------------------------------------------------------------------------

namespace kept_raw {

struct Raw {
    std::string id;  // what validation finds
    bool kept_raw = true;
    bool valid = true;
    MessageType type = MessageType::notification;
    std::string project = {};
    std::size_t bytes = 100;
};
using Item = std::shared_ptr<const Raw>;
struct Traits {
    static std::string_view id(const Item& m) { return m->kept_raw ? std::string_view() : std::string_view(m->id); }
    static std::string_view channel_project(const Item& m) { return m->project; }
    static bool kept_raw(const Item& m) { return m->kept_raw; }
    static std::size_t bytes(const Item& m) { return m->bytes; }
};
using KeptRawWindow = wsgw::ResumeWindow<Item, Traits>;

void put(KeptRawWindow& w, const std::string& user, Raw m, bool kept_raw = true, Clock::time_point at = t0) {
    m.kept_raw = kept_raw;
    const auto meta = RetainedMeta{m.project, m.type, m.bytes};
    auto item = std::make_shared<const Raw>(std::move(m));
    w.put(user, item, RetainedMeta{item->project, meta.type, meta.bytes}, at);
}

int validations = 0;
bool validate(Item& item) {
    ++validations;
    if (!item->valid) return false;
    Raw validated = *item;
    validated.kept_raw = false;
    item = std::make_shared<const Raw>(std::move(validated));
    return true;
}

std::optional<Ids> since(KeptRawWindow& w, const std::string& user, const std::string& last) {
    auto items = w.since(user, last, "", t0);
    if (!items) return std::nullopt;
    Ids ids;
    for (const auto& i : *items) ids.push_back(i->id);
    return ids;
}

Raw note(const std::string& id, bool valid = true) { return Raw{id, true, valid}; }
Raw prog(const std::string& id, const std::string& project) {
    return Raw{id, true, true, MessageType::project_progress, project};
}

TEST(ResumeWindowKeptRaw, MessagesKeptRawAreFoundByTheirIdOnlyOnceValidated) {
    KeptRawWindow w({});
    for (const char* id : {"a", "b", "c"}) put(w, "u1", note(id));
    EXPECT_FALSE(w.holds("u1", "a")) << "a message kept raw's id is not known before validation";
    validations = 0;
    w.validate_kept_raw("u1", validate);
    EXPECT_EQ(validations, 3);
    EXPECT_TRUE(w.holds("u1", "a"));
    EXPECT_EQ(since(w, "u1", "a"), (Ids{"b", "c"}));
    w.validate_kept_raw("u1", validate);
    EXPECT_EQ(validations, 3) << "each message is validated once";
}

TEST(ResumeWindowKeptRaw, ValidatingOneUserLeavesOthersRaw) {
    KeptRawWindow w({});
    put(w, "u1", note("a"));
    put(w, "u2", note("x"));
    validations = 0;
    w.validate_kept_raw("u1", validate);
    EXPECT_EQ(validations, 1);
    EXPECT_FALSE(w.holds("u2", "x"));
}

TEST(ResumeWindowKeptRaw, AnInvalidMessageIsNeverSentAndNoIdFindsIt) {
    KeptRawWindow w({});
    put(w, "u1", note("a"));
    put(w, "u1", note("bad", /*valid=*/false));
    put(w, "u1", note("c"));
    w.validate_kept_raw("u1", validate);
    EXPECT_EQ(since(w, "u1", "a"), (Ids{"c"}));
    EXPECT_FALSE(w.holds("u1", "bad"));
    EXPECT_EQ(w.messages(), 2u);
}

TEST(ResumeWindowKeptRaw, AReplacedProgressKeptRawIsAMarkerOfItsIdOnceValidated) {
    KeptRawWindow w({});
    put(w, "u1", prog("x1", "p1"));
    put(w, "u1", prog("x2", "p1"));
    put(w, "u1", note("n"));
    EXPECT_EQ(w.messages(), 2u) << "the replaced progress no longer counts as a message";
    w.validate_kept_raw("u1", validate);
    EXPECT_EQ(since(w, "u1", "x1"), (Ids{"x2", "n"})) << "resuming from the replaced progress still works";
    EXPECT_EQ(w.messages(), 2u);
}

// The same valid stream, kept raw in one window and validated in the other from the start, gives
// the same answer to every resume once the raw one is validated.
TEST(ResumeWindowKeptRaw, AgreesWithAWindowOfValidatedMessagesOnAValidStream) {
    const ResumeLimits limits{std::chrono::seconds(300), 8, 1 << 20};
    KeptRawWindow raw(limits), validated(limits);
    std::vector<std::string> ids;
    unsigned state = 12345;
    for (int i = 0; i < 400; ++i) {
        state = state * 1103515245u + 12345u;
        const auto pick = (state >> 16) % 7;
        const std::string id = "m" + std::to_string(i);
        Raw m = pick < 3 ? prog(id, "p" + std::to_string(pick))
                : pick == 3 ? Raw{id, true, true, MessageType::project_completed, "p1"}
                            : note(id);
        put(raw, "u1", m, /*kept_raw=*/true);
        put(validated, "u1", m, /*kept_raw=*/false);
        ids.push_back(id);
        if (i % 37 == 0) raw.validate_kept_raw("u1", validate);  // a socket of the user came and went
    }
    raw.validate_kept_raw("u1", validate);
    EXPECT_EQ(raw.messages(), validated.messages());
    EXPECT_EQ(raw.bytes(), validated.bytes());
    EXPECT_EQ(raw.evictions(), validated.evictions());
    for (const auto& id : ids) EXPECT_EQ(since(raw, "u1", id), since(validated, "u1", id)) << "resuming from " << id;
}

TEST(ResumeWindowKeptRaw, TheByteBoundHoldsAfterValidationGrowsTheFrames) {
    KeptRawWindow w({std::chrono::seconds(300), 256, 4096});
    for (int i = 0; i < 10; ++i) put(w, "u1", note("m" + std::to_string(i)));
    ASSERT_LE(w.bytes(), 4096u);
    w.validate_kept_raw("u1", [](Item& item) {
        Raw grown = *item;
        grown.kept_raw = false;
        grown.bytes = 600;  // the frame is larger than the payload it was counted by
        item = std::make_shared<const Raw>(std::move(grown));
        return true;
    });
    EXPECT_LE(w.bytes(), 4096u);
    EXPECT_GT(w.evictions(), 0u);
}

}  // namespace kept_raw

namespace {

// gone(): ids that will never be resumed from here get their resync at once, ids never seen may
// still be on their way.
TEST(ResumeWindowGone, AnIdEvictedByTheUsersBoundIsGoneAndAnUnknownOneIsNot) {
    Window w({seconds(300), 2, 1 << 20});
    for (const char* id : {"a", "b", "c", "d"}) put(w, "u1", {id});
    EXPECT_FALSE(w.holds("u1", "a"));
    EXPECT_TRUE(w.gone("u1", "a"));
    EXPECT_TRUE(w.gone("u1", "b"));
    EXPECT_FALSE(w.gone("u1", "c")) << "still held";
    EXPECT_FALSE(w.gone("u1", "never-seen"));
    EXPECT_FALSE(w.gone("u2", "a")) << "another user's evicted id is not this user's";
}

TEST(ResumeWindowGone, AnIdExpiredByAgeOrEvictedByTheByteBoundIsGone) {
    Window aged({seconds(10), 100, 1 << 20});
    put(aged, "u1", {"old"}, t0);
    put(aged, "u1", {"new"}, t0 + seconds(11));
    EXPECT_TRUE(aged.gone("u1", "old"));
    Window small({seconds(300), 100, 1200});
    for (int i = 0; i < 20; ++i) put(small, "u" + std::to_string(i), {"m" + std::to_string(i)});
    EXPECT_TRUE(small.gone("u0", "m0")) << "evicted by max_bytes";
}

TEST(ResumeWindowGone, EveryIdIsGoneWithResumeOff) {
    Window off({seconds(0), 256, 1 << 20});
    put(off, "u1", {"a"});
    EXPECT_TRUE(off.gone("u1", "a"));
    EXPECT_TRUE(off.gone("u1", "anything"));
}

TEST(ResumeWindowGone, ACoalescedProgressMarkerIsStillHeldNotGone) {
    Window w({seconds(300), 4, 1 << 20});
    put(w, "u1", progress("p1", "proj"));
    put(w, "u1", progress("p2", "proj"));
    EXPECT_TRUE(w.holds("u1", "p1"));
    EXPECT_FALSE(w.gone("u1", "p1"));
}

}  // namespace
