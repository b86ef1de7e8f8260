// SimEnv's path resolution, crash and checker helpers.
#include <algorithm>
#include <cassert>

#include "sim/runtime/sim_env.h"

namespace tierkv::sim {
namespace {

// Calls fn(component) for each component of path, skipping empty ones and ".".
// Returns InvalidArgument for "..".
template <typename Fn>
Status for_each_component(std::string_view path, Fn fn) {
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(begin, end - begin);
    begin = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      return Status::invalid_argument("path " + std::string(path) + ": '..' is not supported");
    }
    TIERKV_RETURN_IF_ERROR(fn(part));
  }
  return Status();
}

}  // namespace

Result<std::string> sim_canonical_path(std::string_view path) {
  std::string out;
  TIERKV_RETURN_IF_ERROR(for_each_component(path, [&out](std::string_view part) {
    out += '/';
    out += part;
    return Status();
  }));
  if (out.empty()) out = "/";
  return out;
}

Result<SimEnv::Lookup> SimEnv::lookup(std::string_view path, bool durable) const {
  Dir* dir = root_.get();
  const Entry* entry = nullptr;
  std::string_view name;
  TIERKV_RETURN_IF_ERROR(for_each_component(path, [&](std::string_view part) {
    if (!name.empty()) {  // descend into the previous component
      if (entry == nullptr) {
        return Status::not_found("path " + std::string(path) + ": directory " +
                                 std::string(name) + " does not exist");
      }
      if (!entry->dir) {
        return Status::io_error("path " + std::string(path) + ": " + std::string(name) +
                                " is not a directory");
      }
      dir = entry->dir.get();
    }
    const EntryTable& table = durable ? dir->durable_entries : dir->entries;
    auto it = table.find(part);
    entry = it == table.end() ? nullptr : &it->second;
    name = part;
    return Status();
  }));
  if (name.empty()) return Lookup{};  // the root
  return Lookup{dir, std::string(name), entry};
}

Result<SimEnv::Dir*> SimEnv::find_dir(std::string_view path) const {
  TIERKV_ASSIGN_OR_RETURN(Lookup found, lookup(path));
  if (found.name.empty()) return root_.get();
  if (found.entry == nullptr) {
    return Status::not_found("directory " + std::string(path) + " does not exist");
  }
  if (!found.entry->dir) return Status::io_error(std::string(path) + " is not a directory");
  return found.entry->dir.get();
}

Result<std::shared_ptr<SimInode>> SimEnv::find_file(std::string_view path, bool durable) const {
  TIERKV_ASSIGN_OR_RETURN(Lookup found, lookup(path, durable));
  if (found.entry == nullptr || found.name.empty()) {
    return Status::not_found("file " + std::string(path) + " does not exist" +
                             (durable ? " durably" : ""));
  }
  if (!found.entry->file) return Status::io_error(std::string(path) + " is a directory");
  return found.entry->file;
}

void SimEnv::crash() {
  epoch_->alive = false;  // every File and FileLock from before is dead, locks released
  epoch_ = std::make_shared<Epoch>();
  crashed_ = false;
  crash_armed_ = false;
  std::map<uint64_t, SimInode*> inodes;  // by id: each inode once, in a fixed order
  crash_dir(root_.get(), &inodes);
  const SimCrashModel model{options_.torn_writes, options_.sector_size_bytes};
  for (auto& [id, inode] : inodes) inode->crash(prng_, model);
  trace_.mix("crash", inodes.size(), options_.torn_writes ? 1 : 0);
}

void SimEnv::crash_dir(Dir* dir, std::map<uint64_t, SimInode*>* inodes) {
  uint64_t keep = 0;
  if (options_.keep_unsynced_dir_ops && !dir->pending.empty()) {
    keep = prng_.uniform(dir->pending.size() + 1);
  }
  for (uint64_t i = 0; i < keep; ++i) apply_changes(dir->pending[i], &dir->durable_entries);
  dir->pending.clear();
  dir->entries = dir->durable_entries;
  for (auto& [name, entry] : dir->entries) {
    if (entry.dir) {
      crash_dir(entry.dir.get(), inodes);
    } else {
      assert(entry.file);
      inodes->emplace(entry.file->id(), entry.file.get());
    }
  }
}

Status SimEnv::flip_bit(const std::string& path, uint64_t byte_offset, int bit) {
  auto file = find_file(path, false);
  if (!file.ok()) file = find_file(path, true);
  TIERKV_RETURN_IF_ERROR(file.status());
  SimInode& inode = **file;
  if (bit < 0 || bit > 7) {
    return Status::invalid_argument("flip_bit " + path + ": bit " + std::to_string(bit));
  }
  if (byte_offset >= inode.data().size() && byte_offset >= inode.durable().size()) {
    return Status::invalid_argument("flip_bit " + path + ": offset " +
                                    std::to_string(byte_offset) + " is past the end");
  }
  inode.flip_bit(byte_offset, bit);
  trace_.mix("bit-rot", byte_offset, static_cast<uint64_t>(bit), path);
  return Status();
}

Result<std::string> SimEnv::durable_file_content(const std::string& path) const {
  TIERKV_ASSIGN_OR_RETURN(std::shared_ptr<SimInode> inode, find_file(path, true));
  return inode->durable();
}

Result<std::string> SimEnv::volatile_file_content(const std::string& path) const {
  TIERKV_ASSIGN_OR_RETURN(std::shared_ptr<SimInode> inode, find_file(path, false));
  return inode->data();
}

std::vector<std::string> SimEnv::list_all_files() const {
  std::vector<std::string> out;
  collect_files(*root_, "", &out);
  // A depth-first walk is not bytewise order ("/a-x" < "/a/b" but "a" < "a-x"): sort.
  std::sort(out.begin(), out.end());
  return out;
}

void SimEnv::collect_files(const Dir& dir, const std::string& prefix,
                           std::vector<std::string>* out) const {
  for (const auto& [name, entry] : dir.entries) {
    const std::string path = prefix + "/" + name;
    if (entry.dir) {
      collect_files(*entry.dir, path, out);
    } else {
      out->push_back(path);
    }
  }
}

}  // namespace tierkv::sim
