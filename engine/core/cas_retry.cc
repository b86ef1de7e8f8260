#include "engine/core/cas_retry.h"

#include <cassert>
#include <utility>

namespace tierkv {

Task<Status> cas_retry(CasRetryOptions options, CasAttempt attempt, ConflictResolver on_conflict) {
  assert(options.attempts_max >= 1);
  assert(attempt);
  Status last;
  for (uint32_t i = 0; i < options.attempts_max; ++i) {
    last = co_await attempt(i);
    if (!last.is_conflict()) co_return last;
    const bool last_attempt = i + 1 == options.attempts_max;
    if (last_attempt) break;
    if (on_conflict && on_conflict(last, i) == ConflictDecision::kGiveUp) co_return last;
  }
  assert(last.is_conflict());
  co_return Status::retry_exhausted(options.what + ": gave up after " +
                                    std::to_string(options.attempts_max) +
                                    " conflicting attempt(s); last conflict: " + last.message());
}

}  // namespace tierkv
