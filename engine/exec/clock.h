// Clock: the only source of time for the engine. Production uses a monotonic real clock; the
// simulator's SimClock jumps straight to the next event.
#pragma once

#include <cstdint>

namespace tierkv {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the clock's epoch; never goes backwards.
  virtual uint64_t now_us() const = 0;
};

inline constexpr uint64_t kMicrosPerMilli = 1000;
inline constexpr uint64_t kMicrosPerSecond = 1000 * 1000;

}  // namespace tierkv
