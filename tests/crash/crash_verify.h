// Checks of a CrashStack against a CrashModel, shared by the writer (after every epoch, when
// quiescent) and the parent (after every kill and reopen). Each returns Corruption naming the
// key, tree or version at fault, or the engine error it met (with context).
// Thread-safety: the thread driving the stack's executor, nothing in flight.
#pragma once

#include "engine/core/status.h"
#include "tests/crash/crash_model.h"
#include "tests/crash/crash_stack.h"

namespace tierkv::crash {

// Before start_tiers(), as recovery left them: every durable key's value in primary and in
// backup is legal (an acknowledged write is never lost nor overtaken by an older one, no value
// nobody wrote), and no ephemeral key is in either.
Status check_tiers_raw(CrashStack& stack, const CrashModel& model);

// With the TierStore started: flushes the backup mirror; every key read through the TierStore
// holds a legal value and backup equals primary for every durable key; list() of every
// namespace pair equals the keys present and a list_page walk returns exactly them, once
// each; the overlay store is consistent and holds every acknowledged put; the ledger holds a
// legal version with exactly its state and an LtHash equal to its data's. Then settles model's
// tier keys to what it found and, with settle_ledger, the ledger too (the parent does, so the
// next writer starts from exactly that; the writer does not, keeping the ledger's history so it
// can roll back to any version it committed).
Status check_stack(CrashStack& stack, CrashModel& model, bool settle_ledger);

}  // namespace tierkv::crash
