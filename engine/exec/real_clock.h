// RealClock: the production Clock, std::chrono::steady_clock in microseconds.
// Production only: the simulator uses SimClock. Monotonic (never goes backwards); its epoch is
// steady_clock's (arbitrary, typically boot). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

#include "engine/exec/clock.h"

namespace tierkv {

class RealClock final : public Clock {
 public:
  uint64_t now_us() const override {
    auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count());
  }
};

}  // namespace tierkv
