// cas_retry: the bounded retry loop around a compare-and-swap (or atomic batch) attempt.
//
// A CAS attempt reads what it needs, computes a new state and writes it conditionally; when
// somebody else changed the state meanwhile the write fails with Conflict and the attempt must
// be redone on fresh state. cas_retry runs that loop with a bound (TIGER_STYLE: every retry
// loop has a named limit):
//   - attempt(i) is called with i = 0, 1, ...; each call must re-read the state it depends on.
//   - OK or any non-Conflict status from attempt is returned as is (no retry on I/O errors:
//     those are not races and retrying would only hide them).
//   - On Conflict, on_conflict(conflict, i) decides: kRetry runs attempt(i + 1); kGiveUp
//     returns that Conflict status to the caller. An empty on_conflict always retries. The
//     callback is where a caller resolves a conflict (merges, gives up if the other writer
//     already did the work, counts contention).
//   - After attempts_max attempts that all conflicted, returns RetryExhausted naming `what`,
//     the number of attempts and the last conflict.
// REQUIRES: attempts_max >= 1.
// Thread-safety: none of its own; it runs on the caller's coroutine.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "engine/core/status.h"
#include "engine/exec/task.h"

namespace tierkv {

inline constexpr uint32_t kCasAttemptsMaxDefault = 16;

enum class ConflictDecision : uint8_t { kRetry, kGiveUp };

struct CasRetryOptions {
  uint32_t attempts_max = kCasAttemptsMaxDefault;
  std::string what = "cas";  // names the operation in the RetryExhausted message
};

using CasAttempt = std::function<Task<Status>(uint32_t attempt)>;
using ConflictResolver = std::function<ConflictDecision(const Status& conflict, uint32_t attempt)>;

Task<Status> cas_retry(CasRetryOptions options, CasAttempt attempt, ConflictResolver on_conflict);

}  // namespace tierkv
