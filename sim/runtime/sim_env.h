// SimEnv: the simulator's Env. An in-memory file system that models what a power cut keeps.
//
// Model (the fault model a correct engine must survive):
//   - A file is an inode with a volatile content (what reads see) and a durable content (what
//     the disk holds). File::sync() makes that inode's content durable.
//   - A directory has a volatile entry table (what lookups see) and a durable one. Entry
//     changes (create, rename, link, remove, create_dir, remove_dir) are kept per directory,
//     in order, until sync_dir() of that directory makes them durable. A rename within one
//     directory is one change (atomic); across directories it is a removal in one and a
//     creation in the other, each durable only by its own directory's sync_dir.
//   - crash() is a power cut: every directory keeps its durable entries plus, if
//     keep_unsynced_dir_ops, a seeded random prefix of its pending changes (real file systems
//     sometimes persist an unsynced rename); every surviving file keeps its durable content,
//     and with torn_writes the unsynced part may partly survive (see SimInode's crash model).
//     Afterwards every File and FileLock obtained before is dead (calls fail with IOError;
//     destroying them is safe), every lock is released, and crashed mode is cleared.
//   - Crash point: set_crash_after_ops(n) lets n more mutating-or-syncing operations succeed;
//     the next one and every later operation fail with IOError("simulated process crash"),
//     like a dead process, until crash() is called.
//   - Fault hook: called before every operation (after the crash-point check) with a SimOp;
//     a non-OK Status fails the operation with no effect and reaches the caller with its code
//     (io_error for EIO, no_space for ENOSPC). file_exists/dir_exists call the hook but cannot
//     report an error, so its Status is ignored there.
//   - Every operation is mixed into the TraceHash ("env", kind, byte count, path).
// Paths: '/'-separated; empty components and "." are ignored, ".." is rejected; "/a" and "a"
// name the same file (one root, which always exists). Paths are reported as "/a/b".
// Determinism: ordered maps only; all choices come from the Prng passed in.
// Thread-safety: none; the simulator is single-threaded. Files and locks may outlive the
// SimEnv (they are dead then), but must not be used from another thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/env.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_inode.h"
#include "sim/runtime/trace.h"

namespace tierkv::sim {

struct SimEnvOptions {
  uint64_t sector_size_bytes = 512;
  // Whether part of the unsynced data of a file may survive a crash (garbled tail included).
  bool torn_writes = false;
  // Whether crash() keeps a seeded prefix of each directory's unsynced entry changes.
  bool keep_unsynced_dir_ops = true;
};

enum class SimOpKind : uint8_t {
  kOpen,
  kRead,
  kAppend,
  kWriteAt,
  kSync,
  kTruncate,
  kSize,
  kClose,
  kRename,
  kLink,
  kRemoveFile,
  kCreateDir,
  kRemoveDir,
  kListDir,
  kSyncDir,
  kLock,
  kExists,
  kFileSize,
};

std::string_view sim_op_kind_name(SimOpKind kind);

// What the fault hook sees. The views are valid only during the hook call.
struct SimOp {
  SimOpKind kind;
  std::string_view path;
  std::string_view target_path;  // rename/link destination; empty otherwise
  uint64_t offset = 0;           // read/write_at offset; truncate size
  uint64_t size_bytes = 0;       // bytes read/written
  bool mutating = false;         // counts toward set_crash_after_ops
};

class SimEnv final : public Env {
 public:
  using FaultHook = std::function<Status(const SimOp&)>;

  // prng and trace must outlive the SimEnv.
  SimEnv(Prng& prng, TraceHash& trace, SimEnvOptions options = {});
  ~SimEnv() override;
  SimEnv(const SimEnv&) = delete;
  SimEnv& operator=(const SimEnv&) = delete;

  // Env.
  Result<std::unique_ptr<File>> open_file(const std::string& path, OpenMode mode) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status link(const std::string& from, const std::string& to) override;
  Status remove_file(const std::string& path) override;
  Status create_dir(const std::string& path) override;
  Status remove_dir(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& path) override;
  Status sync_dir(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override;
  bool file_exists(const std::string& path) override;
  bool dir_exists(const std::string& path) override;
  Result<uint64_t> file_size(const std::string& path) override;

  // Power cut (see the header comment).
  void crash();

  // Faults. An empty hook removes it.
  void set_fault_hook(FaultHook hook) { hook_ = std::move(hook); }
  // Crash point: n more mutating-or-syncing operations succeed, the next one crashes.
  void set_crash_after_ops(uint64_t n);
  void clear_crash_point() { crash_armed_ = false; }
  bool crashed() const { return crashed_; }
  void set_torn_writes(bool on) { options_.torn_writes = on; }
  void set_keep_unsynced_dir_ops(bool on) { options_.keep_unsynced_dir_ops = on; }
  const SimEnvOptions& options() const { return options_; }

  // Operations attempted while not crashed (all kinds / mutating-or-syncing only).
  uint64_t ops_count() const { return ops_count_; }
  uint64_t mutating_ops_count() const { return mutating_ops_count_; }

  // Checker and fault-injection helpers; they bypass hooks, crash mode and the trace.
  // Flips one bit of a file's byte in both its volatile and durable content (bit rot).
  Status flip_bit(const std::string& path, uint64_t byte_offset, int bit);
  // What a crash without torn writes or kept unsynced entry changes would leave at path.
  Result<std::string> durable_file_content(const std::string& path) const;
  Result<std::string> volatile_file_content(const std::string& path) const;
  // Every file reachable through the volatile entry tables, as "/a/b", sorted.
  std::vector<std::string> list_all_files() const;

  // Used by SimEnv's File objects: the prologue of every operation (crash point, hook, trace).
  Status begin_op(const SimOp& op);

  struct Dir;
  struct Entry {
    std::shared_ptr<SimInode> file;  // exactly one of file/dir is set
    std::shared_ptr<Dir> dir;
  };
  struct Change {
    std::string name;
    std::shared_ptr<SimInode> file;  // both null: the entry is removed
    std::shared_ptr<Dir> dir;
  };
  // One unsynced directory change; a same-directory rename sets two changes atomically.
  struct DirOp {
    Change first;
    std::optional<Change> second;
  };
  struct Dir {
    std::map<std::string, Entry, std::less<>> entries;
    std::map<std::string, Entry, std::less<>> durable_entries;
    std::vector<DirOp> pending;
  };
  // Shared with File/FileLock handles: alive until the next crash() or ~SimEnv.
  struct Epoch {
    bool alive = true;
    std::set<std::string, std::less<>> locked_paths;
  };

 private:
  struct Lookup {
    Dir* parent = nullptr;
    std::string name;  // empty for the root
    const Entry* entry = nullptr;  // null if the name does not exist
  };
  Result<Lookup> lookup(std::string_view path, bool durable = false) const;
  Result<Dir*> find_dir(std::string_view path) const;
  Result<std::shared_ptr<SimInode>> find_file(std::string_view path, bool durable) const;
  using EntryTable = std::map<std::string, Entry, std::less<>>;
  static void apply_changes(const DirOp& op, EntryTable* table);
  // Applies op to dir's volatile entries and records it as pending.
  void apply(Dir* dir, DirOp op);
  std::shared_ptr<SimInode> new_inode();
  Result<std::shared_ptr<SimInode>> open_inode(const std::string& path, OpenMode mode);
  void crash_dir(Dir* dir, std::map<uint64_t, SimInode*>* inodes);
  void collect_files(const Dir& dir, const std::string& prefix,
                     std::vector<std::string>* out) const;

  Prng& prng_;
  TraceHash& trace_;
  SimEnvOptions options_;
  std::shared_ptr<Dir> root_;
  std::shared_ptr<Epoch> epoch_;
  FaultHook hook_;
  uint64_t next_inode_id_ = 1;
  uint64_t ops_count_ = 0;
  uint64_t mutating_ops_count_ = 0;
  bool crash_armed_ = false;
  uint64_t crash_countdown_ = 0;
  bool crashed_ = false;
};

// "/a/b" for any spelling of that path; InvalidArgument for "..".
Result<std::string> sim_canonical_path(std::string_view path);

}  // namespace tierkv::sim
