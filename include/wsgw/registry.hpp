#pragma once
// user id -> the sessions registered for it, each with an optional project filter.
//
// One Registry lives on each I/O thread and is touched only by that thread, so it needs no lock;
// fan-out looks a user up once per message per thread and walks a contiguous vector.
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wsgw {

template <class Handle>
class Registry {
public:
    struct Entry {
        Handle handle;
        std::string project_filter;  // empty: every message of the user
    };

    void add(std::string_view user, std::string_view project_filter, Handle handle) {
        auto it = users_.find(user);
        if (it == users_.end()) it = users_.emplace(std::string(user), std::vector<Entry>{}).first;
        it->second.push_back(Entry{std::move(handle), std::string(project_filter)});
        ++sessions_;
    }

    // Returns false when (user, handle) was not registered.
    bool remove(std::string_view user, const Handle& handle) {
        auto it = users_.find(user);
        if (it == users_.end()) return false;
        auto& entries = it->second;
        auto e = std::find_if(entries.begin(), entries.end(), [&](const Entry& x) { return x.handle == handle; });
        if (e == entries.end()) return false;
        if (e != entries.end() - 1) *e = std::move(entries.back());
        entries.pop_back();
        --sessions_;
        if (entries.empty()) users_.erase(it);
        return true;
    }

    // Calls fn(handle) for every session of `user` that a message of `project` reaches.
    // An empty `project` is a user-wide message and reaches every session of the user; a
    // project message reaches unfiltered sessions and those filtered on that project.
    template <class Fn>
    std::size_t for_each_target(std::string_view user, std::string_view project, Fn&& fn) const {
        auto it = users_.find(user);
        if (it == users_.end()) return 0;
        std::size_t n = 0;
        for (const auto& e : it->second) {
            if (!project.empty() && !e.project_filter.empty() && e.project_filter != project) continue;
            fn(e.handle);
            ++n;
        }
        return n;
    }

    // Calls fn(handle) for every registered session.
    template <class Fn>
    void for_each(Fn&& fn) const {
        for (const auto& [user, entries] : users_)
            for (const auto& e : entries) fn(e.handle);
    }

    bool holds(std::string_view user) const { return users_.find(user) != users_.end(); }
    std::size_t user_count() const noexcept { return users_.size(); }
    std::size_t session_count() const noexcept { return sessions_; }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::vector<Entry>, Hash, std::equal_to<>> users_;
    std::size_t sessions_ = 0;
};

}  // namespace wsgw
