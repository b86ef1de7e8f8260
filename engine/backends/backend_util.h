// Small helpers the real backends (LevelDB, SQLite, LMDB) and the HybridStore share: printable
// keys for error messages and durable file copies through an Env.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/io/env.h"

namespace tierkv {

// key as text for messages: printable ASCII kept, other bytes as \xNN, cut after 64 bytes.
std::string printable_key(std::string_view key);

// What every call of a backend answers once one of its writes failed in a way that may still
// be applied on recovery (LevelDB's log, SQLite's WAL may hold the batch): the backend refuses
// calls until it is reopened, since a read would answer without that batch and a caller that
// read "absent" and skipped a remove would be overtaken by it at reopen. `store` names the
// backend and its directory, `step` what failed ("write", "COMMIT").
Status refused_until_reopened(std::string_view store, std::string_view step,
                              const Status& failure);

// Copies the file `from` to `to` (which must not exist) and syncs `to`. Not the directory
// entry: the caller sync_dir()s the destination directory once all copies are done.
Status copy_file_synced(Env& env, const std::string& from, const std::string& to);

}  // namespace tierkv
