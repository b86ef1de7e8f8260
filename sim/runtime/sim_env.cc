#include "sim/runtime/sim_env.h"

#include <cassert>
#include <utility>

#include "sim/runtime/sim_file.h"

namespace tierkv::sim {
namespace {

bool is_creating(OpenMode mode) {
  return mode == OpenMode::kCreate || mode == OpenMode::kCreateTruncate ||
         mode == OpenMode::kCreateExclusive;
}

std::string str(std::string_view s) { return std::string(s); }

}  // namespace

std::string_view sim_op_kind_name(SimOpKind kind) {
  switch (kind) {
    case SimOpKind::kOpen: return "open";
    case SimOpKind::kRead: return "read";
    case SimOpKind::kAppend: return "append";
    case SimOpKind::kWriteAt: return "write_at";
    case SimOpKind::kSync: return "sync";
    case SimOpKind::kTruncate: return "truncate";
    case SimOpKind::kSize: return "size";
    case SimOpKind::kClose: return "close";
    case SimOpKind::kRename: return "rename";
    case SimOpKind::kLink: return "link";
    case SimOpKind::kRemoveFile: return "remove_file";
    case SimOpKind::kCreateDir: return "create_dir";
    case SimOpKind::kRemoveDir: return "remove_dir";
    case SimOpKind::kListDir: return "list_dir";
    case SimOpKind::kSyncDir: return "sync_dir";
    case SimOpKind::kLock: return "lock_file";
    case SimOpKind::kExists: return "exists";
    case SimOpKind::kFileSize: return "file_size";
  }
  return "unknown";
}

SimEnv::SimEnv(Prng& prng, TraceHash& trace, SimEnvOptions options)
    : prng_(prng),
      trace_(trace),
      options_(options),
      root_(std::make_shared<Dir>()),
      epoch_(std::make_shared<Epoch>()) {
  assert(options_.sector_size_bytes > 0);
}

SimEnv::~SimEnv() { epoch_->alive = false; }

Status SimEnv::begin_op(const SimOp& op) {
  const std::string_view kind = sim_op_kind_name(op.kind);
  if (crashed_) {
    return Status::io_error("simulated process crash: " + str(kind) + " " + str(op.path));
  }
  ++ops_count_;
  trace_.mix("env", static_cast<uint64_t>(op.kind), op.size_bytes, op.path);
  if (op.mutating) {
    ++mutating_ops_count_;
    if (crash_armed_) {
      if (crash_countdown_ == 0) {
        crash_armed_ = false;
        crashed_ = true;
        trace_.mix("crash-point", ops_count_);
        return Status::io_error("simulated process crash: " + str(kind) + " " + str(op.path));
      }
      --crash_countdown_;
    }
  }
  if (hook_) {
    Status injected = hook_(op);
    if (!injected.ok()) {
      trace_.mix("fault", static_cast<uint64_t>(injected.code()));
      return injected.with_context(str(kind) + " " + str(op.path));
    }
  }
  return Status();
}

void SimEnv::set_crash_after_ops(uint64_t n) {
  crash_armed_ = true;
  crash_countdown_ = n;
}

std::shared_ptr<SimInode> SimEnv::new_inode() {
  return std::make_shared<SimInode>(next_inode_id_++);
}

void SimEnv::apply_changes(const DirOp& op, EntryTable* table) {
  auto apply_change = [table](const Change& change) {
    if (!change.file && !change.dir) {
      table->erase(change.name);
    } else {
      (*table)[change.name] = Entry{change.file, change.dir};
    }
  };
  apply_change(op.first);
  if (op.second) apply_change(*op.second);
}

void SimEnv::apply(Dir* dir, DirOp op) {
  apply_changes(op, &dir->entries);
  dir->pending.push_back(std::move(op));
}

Result<std::unique_ptr<File>> SimEnv::open_file(const std::string& path, OpenMode mode) {
  TIERKV_RETURN_IF_ERROR(begin_op({SimOpKind::kOpen, path, {}, 0, 0, is_creating(mode)}));
  TIERKV_ASSIGN_OR_RETURN(auto inode, open_inode(path, mode));
  return make_sim_file(this, epoch_, std::move(inode), path, mode == OpenMode::kReadOnly);
}

Result<std::shared_ptr<SimInode>> SimEnv::open_inode(const std::string& path, OpenMode mode) {
  TIERKV_ASSIGN_OR_RETURN(Lookup found, lookup(path));
  if (found.name.empty()) return Status::io_error("open_file " + path + ": is the root directory");
  if (found.entry != nullptr) {
    if (found.entry->dir) return Status::io_error("open_file " + path + ": is a directory");
    if (mode == OpenMode::kCreateExclusive) {
      return Status::io_error("open_file " + path + ": already exists (exclusive create)");
    }
    std::shared_ptr<SimInode> inode = found.entry->file;
    if (mode == OpenMode::kCreateTruncate) inode->truncate(0);
    return inode;
  }
  if (!is_creating(mode)) return Status::not_found("open_file " + path + ": no such file");
  std::shared_ptr<SimInode> inode = new_inode();
  apply(found.parent, DirOp{Change{std::move(found.name), inode, nullptr}, std::nullopt});
  return inode;
}

Status SimEnv::rename(const std::string& from, const std::string& to) {
  TIERKV_RETURN_IF_ERROR(begin_op({SimOpKind::kRename, from, to, 0, 0, true}));
  TIERKV_ASSIGN_OR_RETURN(std::shared_ptr<SimInode> inode, find_file(from, false));
  TIERKV_ASSIGN_OR_RETURN(Lookup source, lookup(from));
  TIERKV_ASSIGN_OR_RETURN(Lookup target, lookup(to));
  if (target.name.empty() || (target.entry != nullptr && target.entry->dir)) {
    return Status::io_error("rename " + from + " -> " + to + ": target is a directory");
  }
  // POSIX: renaming a file onto another link of the same inode changes nothing.
  if (target.entry != nullptr && target.entry->file == inode) return Status();
  if (source.parent == target.parent) {
    apply(target.parent, DirOp{Change{target.name, inode, nullptr},
                               Change{source.name, nullptr, nullptr}});
  } else {
    apply(target.parent, DirOp{Change{target.name, inode, nullptr}, std::nullopt});
    apply(source.parent, DirOp{Change{source.name, nullptr, nullptr}, std::nullopt});
  }
  return Status();
}

Status SimEnv::link(const std::string& from, const std::string& to) {
  TIERKV_RETURN_IF_ERROR(begin_op({SimOpKind::kLink, from, to, 0, 0, true}));
  TIERKV_ASSIGN_OR_RETURN(std::shared_ptr<SimInode> inode, find_file(from, false));
  TIERKV_ASSIGN_OR_RETURN(Lookup target, lookup(to));
  if (target.name.empty() || target.entry != nullptr) {
    return Status::io_error("link " + from + " -> " + to + ": target already exists");
  }
  apply(target.parent, DirOp{Change{target.name, inode, nullptr}, std::nullopt});
  return Status();
}

Status SimEnv::remove_file(const std::string& path) {
  TIERKV_RETURN_IF_ERROR(begin_op({SimOpKind::kRemoveFile, path, {}, 0, 0, true}));
  TIERKV_RETURN_IF_ERROR(find_file(path, false).status());
  TIERKV_ASSIGN_OR_RETURN(Lookup found, lookup(path));
  apply(found.parent, DirOp{Change{found.name, nullptr, nullptr}, std::nullopt});
  return Status();
}

Status SimEnv::create_dir(const std::string& path) {
  TIERKV_RETURN_IF_ERROR(begin_op({SimOpKind::kCreateDir, path, {}, 0, 0, true}));
  TIERKV_ASSIGN_OR_RETURN(Lookup found, lookup(path));
  if (found.name.empty()) return Status();  // the root always exists
  if (found.entry != nullptr) {
    if (found.entry->dir) return Status();
    return Status::io_error("create_dir " + path + ": a file has that name");
  }
  apply(found.parent,
        DirOp{Change{std::move(found.name), nullptr, std::make_shared<Dir>()}, std::nullopt});
  return Status();
}

Status SimEnv::remove_dir(const std::string& path) {
  TIERKV_RETURN_IF_ERROR(begin_op({SimOpKind::kRemoveDir, path, {}, 0, 0, true}));
  TIERKV_ASSIGN_OR_RETURN(Lookup found, lookup(path));
  if (found.name.empty()) return Status::invalid_argument("remove_dir: cannot remove the root");
  if (found.entry == nullptr) return Status::not_found("remove_dir " + path + ": no such directory");
  if (!found.entry->dir) return Status::io_error("remove_dir " + path + ": not a directory");
  if (!found.entry->dir->entries.empty()) {
    return Status::io_error("remove_dir " + path + ": directory not empty");
  }
  apply(found.parent, DirOp{Change{std::move(found.name), nullptr, nullptr}, std::nullopt});
  return Status();
}

Result<std::vector<std::string>> SimEnv::list_dir(const std::string& path) {
  TIERKV_RETURN_IF_ERROR(begin_op({SimOpKind::kListDir, path, {}, 0, 0, false}));
  TIERKV_ASSIGN_OR_RETURN(Dir * dir, find_dir(path));
  std::vector<std::string> names;
  names.reserve(dir->entries.size());
  for (const auto& [name, entry] : dir->entries) names.push_back(name);  // std::map: sorted
  return names;
}

Status SimEnv::sync_dir(const std::string& path) {
  TIERKV_RETURN_IF_ERROR(begin_op({SimOpKind::kSyncDir, path, {}, 0, 0, true}));
  TIERKV_ASSIGN_OR_RETURN(Dir * dir, find_dir(path));
  for (const DirOp& op : dir->pending) apply_changes(op, &dir->durable_entries);
  dir->pending.clear();
  return Status();
}

Result<std::unique_ptr<FileLock>> SimEnv::lock_file(const std::string& path) {
  TIERKV_RETURN_IF_ERROR(begin_op({SimOpKind::kLock, path, {}, 0, 0, true}));
  TIERKV_ASSIGN_OR_RETURN(std::string canonical, sim_canonical_path(path));
  if (epoch_->locked_paths.count(canonical) != 0) {
    return Status::busy("lock_file " + path + ": lock already held");
  }
  TIERKV_RETURN_IF_ERROR(open_inode(path, OpenMode::kCreate).status());
  epoch_->locked_paths.insert(canonical);
  return make_sim_file_lock(epoch_, std::move(canonical));
}

bool SimEnv::file_exists(const std::string& path) {
  if (!begin_op({SimOpKind::kExists, path, {}, 0, 0, false}).ok() && crashed_) return false;
  return find_file(path, false).ok();
}

bool SimEnv::dir_exists(const std::string& path) {
  if (!begin_op({SimOpKind::kExists, path, {}, 0, 0, false}).ok() && crashed_) return false;
  return find_dir(path).ok();
}

Result<uint64_t> SimEnv::file_size(const std::string& path) {
  TIERKV_RETURN_IF_ERROR(begin_op({SimOpKind::kFileSize, path, {}, 0, 0, false}));
  TIERKV_ASSIGN_OR_RETURN(std::shared_ptr<SimInode> inode, find_file(path, false));
  return static_cast<uint64_t>(inode->data().size());
}

}  // namespace tierkv::sim
