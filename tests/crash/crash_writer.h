// The crash baseline's writer process (tierkv-crash-baseline, issue 9): a varied concurrent
// workload on a CrashStack, in epochs, like RocksDB's db_stress.
//
// Each epoch runs, concurrently on one AsioExecutor: 4 TierStore clients (writes, removes, CAS
// after a read, 2-3 key atomic batches, paginated list walks, reads; hot keys, so same-key
// calls race), 2 OverlayStore clients (create, put of shared contents, drop, maintenance, read;
// trees keep* never expire, exp* expire within 300 ms) and 6 pipelined ledger commit_async
// calls. Every operation is reported on the pipe before it is called and when it is answered
// (crash_model.h). After each epoch (quiescent: every call answered) the writer checks the
// whole stack against the model: every tier key's value through the TierStore, backup equal to
// primary, list() and a page walk of every namespace pair, overlay consistency and every
// acknowledged overlay put, the ledger's state and LtHash; after half the epochs it rolls the
// ledger back to a reachable version and checks the result. An engine error, a wrong answer
// or a failed check is written as an "X" line and the writer exits with status 5 (an engine
// assertion aborts it). Otherwise it runs until the parent (or a kill point) SIGKILLs it.
#pragma once

#include <cstdint>
#include <string>

#include "tests/crash/crash_model.h"

namespace tierkv::crash {

struct WriterConfig {
  std::string dir;
  std::string backend;
  uint64_t seed = 1;
  uint64_t kill_point_odds = 0;  // 0: no kill points (the parent's timer kills the writer)
};

// Runs the writer in this (forked) process, starting from model (the parent's verified
// state). Never returns.
[[noreturn]] void run_writer(const WriterConfig& config, CrashModel model, int pipe_fd);

}  // namespace tierkv::crash
