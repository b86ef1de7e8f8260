#include "sim/runtime/trace.h"

#include <cstdio>

namespace tierkv::sim {

std::string TraceHash::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(hash_));
  return buf;
}

}  // namespace tierkv::sim
