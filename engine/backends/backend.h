// Backend: the ordered byte map every storage engine (memory, LevelDB, LMDB, SQLite) and the
// VersionedStore/HybridStore present. Keys and values are arbitrary bytes; keys order bytewise.
//
// Calls are synchronous and may block on I/O; async callers use Executor::run_blocking.
// Durability: when BackendOptions::sync is true, a put/remove/write that returned OK survives
// a power cut (subject to the backend's honest limits in README). Atomicity: a write(batch)
// is all-or-nothing, also across a crash.
// Thread-safety: one Backend is used by one thread at a time (the caller serialises).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"

namespace tierkv {

class Env;
class Clock;

struct KeyValue {
  std::string key;
  std::string value;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

struct BatchOp {
  enum class Kind : uint8_t { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;  // empty for kDelete
  friend bool operator==(const BatchOp&, const BatchOp&) = default;
};

// An ordered list of puts and deletes, applied atomically and in order.
class WriteBatch {
 public:
  void put(std::string key, std::string value) {
    ops_.push_back({BatchOp::Kind::kPut, std::move(key), std::move(value)});
  }
  void remove(std::string key) { ops_.push_back({BatchOp::Kind::kDelete, std::move(key), {}}); }
  const std::vector<BatchOp>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void clear() { ops_.clear(); }
  friend bool operator==(const WriteBatch&, const WriteBatch&) = default;

 private:
  std::vector<BatchOp> ops_;
};

// A half-open key range [start, end). An empty `end` means unbounded.
struct KeyRange {
  std::string start;
  std::string end;
};

// The smallest range holding exactly the keys that start with prefix (handles 0xFF bytes:
// the prefix "a\xff" ends at "b"; an all-0xFF or empty prefix is unbounded above).
KeyRange prefix_range(std::string_view prefix);

class Backend {
 public:
  virtual ~Backend() = default;

  // "memory", "leveldb", "lmdb", "sqlite", "versioned", "hybrid".
  virtual std::string_view name() const = 0;

  // The value of key, or NotFound.
  virtual Result<std::string> get(std::string_view key) = 0;

  // get() into *value, whose capacity a backend that copies its values reuses (a caller that
  // reads many values into one buffer then allocates once). On an error *value is unspecified.
  // The default is get() (the same backend call) with the value moved into *value.
  virtual Status get_into(std::string_view key, std::string* value);

  virtual Status put(std::string_view key, std::string_view value) = 0;

  // Deleting a missing key succeeds.
  virtual Status remove(std::string_view key) = 0;

  // Applies every op of batch in order, atomically.
  virtual Status write(const WriteBatch& batch) = 0;

  // Up to limit pairs with keys in range, ascending. limit 0 means no limit.
  virtual Result<std::vector<KeyValue>> scan(const KeyRange& range, size_t limit) = 0;

  // The keys scan(range, limit) returns, without their values. The default is that scan()
  // (the same backend call); a backend that can skip copying the values overrides it.
  virtual Result<std::vector<std::string>> scan_keys(const KeyRange& range, size_t limit);

  // Writes a consistent, self-contained copy of the current state into dir (which must not
  // exist), durably (files synced, directory entries synced), so that opening the same backend
  // kind on dir yields exactly this state.
  virtual Status checkpoint(const std::string& dir) = 0;

  // Flushes and closes; later calls fail. Also done by the destructor (errors ignored there).
  virtual Status close() = 0;

  // Convenience over scan(prefix_range(prefix), limit).
  Result<std::vector<KeyValue>> scan_prefix(std::string_view prefix, size_t limit = 0) {
    return scan(prefix_range(prefix), limit);
  }
};

struct BackendOptions {
  Env* env = nullptr;      // REQUIRED for every backend but lmdb (which maps real files)
  Clock* clock = nullptr;  // time for the library's own needs (LevelDB NowMicros, SQLite)
  std::string dir;         // the backend's directory; created if missing
  bool sync = true;        // make every write durable before returning
  uint64_t seed = 0;       // randomness the library asks for (SQLite xRandomness)
};

}  // namespace tierkv
