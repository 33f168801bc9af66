#pragma once
// Reconnect delays: exponential from `floor`, capped at `cap`, with jitter so a fleet of
// gateways that lost the same Redis does not reconnect in lockstep.
#include <chrono>

namespace wsgw {

// `attempt` counts from 0; `unit_random` is uniform in [0, 1). The delay is drawn from the upper
// half of the exponential step: [step / 2, step], step = min(cap, floor * 2^attempt).
std::chrono::milliseconds backoff_delay(unsigned attempt, std::chrono::milliseconds floor,
                                        std::chrono::milliseconds cap, double unit_random) noexcept;

}  // namespace wsgw
