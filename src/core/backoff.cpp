#include "wsgw/backoff.hpp"

#include <algorithm>

namespace wsgw {

std::chrono::milliseconds backoff_delay(unsigned attempt, std::chrono::milliseconds floor,
                                        std::chrono::milliseconds cap, double unit_random) noexcept {
    auto step = floor.count();
    for (unsigned i = 0; i < attempt && step < cap.count(); ++i) step *= 2;
    step = std::min<long long>(step, cap.count());
    unit_random = std::clamp(unit_random, 0.0, 1.0);
    auto half = step / 2;
    return std::chrono::milliseconds(half + static_cast<long long>(static_cast<double>(step - half) * unit_random));
}

}  // namespace wsgw
