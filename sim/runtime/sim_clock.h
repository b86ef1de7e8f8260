// SimClock: the simulator's virtual clock. Time does not pass by itself: the SimExecutor moves
// it straight to the next timer's deadline, so a simulated hour costs nothing.
//
// Promises: now_us() never goes backwards (advance_to asserts it).
// Thread-safety: none needed; the simulator runs on one thread.
#pragma once

#include <cassert>
#include <cstdint>

#include "engine/exec/clock.h"

namespace tierkv::sim {

class SimClock final : public Clock {
 public:
  explicit SimClock(uint64_t start_us = 0) : now_us_(start_us) {}

  uint64_t now_us() const override { return now_us_; }

  // Moves the clock to time_us. REQUIRES: time_us >= now_us() (time is monotonic).
  void advance_to(uint64_t time_us) {
    assert(time_us >= now_us_ && "SimClock must never go backwards");
    now_us_ = time_us;
  }

  // Moves the clock forward by duration_us.
  void advance_by(uint64_t duration_us) {
    assert(now_us_ + duration_us >= now_us_ && "SimClock overflow");
    now_us_ += duration_us;
  }

 private:
  uint64_t now_us_;
};

}  // namespace tierkv::sim
