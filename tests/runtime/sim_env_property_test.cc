// Properties of SimEnv's crash model, checked by RapidCheck (RC_PARAMS="max_success=N" runs
// more cases; a failure prints its RC_PARAMS="reproduce=..." string).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>

#include "engine/io/env_util.h"
#include "sim/runtime/sim_env.h"

namespace tierkv::sim {
namespace {

SimEnvOptions torn_options(uint64_t sector_size_bytes, bool keep_dir_ops) {
  SimEnvOptions options;
  options.sector_size_bytes = sector_size_bytes;
  options.torn_writes = true;
  options.keep_unsynced_dir_ops = keep_dir_ops;
  return options;
}

std::string must_read(Env& env, const std::string& path) {
  auto data = read_file_to_string(env, path);
  RC_ASSERT(data.ok());
  return *data;
}

std::unique_ptr<File> must_open(Env& env, const std::string& path, OpenMode mode) {
  auto file = env.open_file(path, mode);
  RC_ASSERT(file.ok());
  return std::move(*file);
}

// After a crash with torn writes, a file holds its durable content plus a prefix of the
// unsynced appends that ends on a sector boundary (or at the end), and only the part of the
// last surviving sector past the durable end may differ from what was written.
RC_GTEST_PROP(SimEnvCrashProperty, TornTailsArePrefixesAtSectorGranularity, ()) {
  const uint64_t sector = *rc::gen::element<uint64_t>(1, 8, 64, 512);
  Prng prng(*rc::gen::arbitrary<uint64_t>());
  TraceHash trace;
  SimEnv env(prng, trace, torn_options(sector, false));
  auto file = must_open(env, "/log", OpenMode::kCreate);
  RC_ASSERT(env.sync_dir("/").ok());
  const auto steps = *rc::gen::container<std::vector<std::pair<bool, std::string>>>(
      rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::arbitrary<std::string>()));
  for (const auto& [sync, bytes] : steps) {
    RC_ASSERT(file->append(bytes).ok());
    if (sync) RC_ASSERT(file->sync().ok());
  }
  const std::string durable = *env.durable_file_content("/log");
  const std::string written = *env.volatile_file_content("/log");
  env.crash();
  const std::string after = must_read(env, "/log");
  RC_ASSERT(after.size() >= durable.size());
  RC_ASSERT(after.size() <= written.size());
  RC_ASSERT(after.compare(0, durable.size(), durable) == 0);
  RC_ASSERT(after.size() == durable.size() || after.size() == written.size() ||
            after.size() % sector == 0);
  const uint64_t garbage_from =
      after.size() == durable.size()
          ? durable.size()
          : std::max<uint64_t>(durable.size(), (after.size() - 1) / sector * sector);
  RC_ASSERT(after.compare(durable.size(), garbage_from - durable.size(), written,
                          durable.size(), garbage_from - durable.size()) == 0);
  // What survived is durable now: a second crash keeps exactly it.
  env.crash();
  RC_ASSERT(must_read(env, "/log") == after);
}

// Unsynced overwrites of durable bytes: after a crash each sector is wholly old or wholly new.
RC_GTEST_PROP(SimEnvCrashProperty, TornOverwritesAreOldOrNewPerSector, ()) {
  const uint64_t sector = *rc::gen::element<uint64_t>(1, 8, 64);
  Prng prng(*rc::gen::arbitrary<uint64_t>());
  TraceHash trace;
  SimEnv env(prng, trace, torn_options(sector, false));
  const std::string old_content = *rc::gen::nonEmpty(rc::gen::arbitrary<std::string>());
  auto file = must_open(env, "/data", OpenMode::kCreate);
  RC_ASSERT(env.sync_dir("/").ok());
  RC_ASSERT(file->append(old_content).ok());
  RC_ASSERT(file->sync().ok());
  const int writes = *rc::gen::inRange(1, 6);
  for (int i = 0; i < writes; ++i) {
    const uint64_t offset = *rc::gen::inRange<uint64_t>(0, old_content.size());
    std::string bytes = *rc::gen::arbitrary<std::string>();
    bytes.resize(std::min<uint64_t>(bytes.size(), old_content.size() - offset));
    RC_ASSERT(file->write_at(offset, bytes).ok());
  }
  const std::string new_content = *env.volatile_file_content("/data");
  RC_ASSERT(new_content.size() == old_content.size());
  env.crash();
  const std::string after = must_read(env, "/data");
  RC_ASSERT(after.size() == old_content.size());
  for (uint64_t start = 0; start < after.size(); start += sector) {
    const std::string piece = after.substr(start, sector);
    RC_ASSERT(piece == old_content.substr(start, sector) ||
              piece == new_content.substr(start, sector));
  }
}

// Unsynced directory changes: after a crash a directory shows its durable entries plus some
// prefix of its pending changes, in order, and every file keeps its synced content.
RC_GTEST_PROP(SimEnvCrashProperty, DirectoryChangesSurviveAsAPrefix, ()) {
  Prng prng(*rc::gen::arbitrary<uint64_t>());
  TraceHash trace;
  SimEnv env(prng, trace, SimEnvOptions{});
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  using Names = std::map<std::string, std::string>;  // name -> synced content
  std::vector<Names> history(1);                     // history[k]: after k pending changes
  RC_ASSERT(env.create_dir("/d").ok());
  RC_ASSERT(env.sync_dir("/").ok());
  const int changes = *rc::gen::inRange(0, 12);
  for (int i = 0; i < changes; ++i) {
    Names next = history.back();
    const std::string from = "/d/" + *rc::gen::elementOf(names);
    const std::string to = "/d/" + *rc::gen::elementOf(names);
    switch (*rc::gen::inRange(0, 4)) {
      case 0: {  // create a file whose content is synced (only its entry is pending)
        if (env.file_exists(from)) continue;
        auto file = must_open(env, from, OpenMode::kCreate);
        RC_ASSERT(file->append("file#" + std::to_string(i)).ok());
        RC_ASSERT(file->sync().ok());
        next[from] = "file#" + std::to_string(i);
        break;
      }
      case 1:
        if (!env.file_exists(from) || from == to) continue;
        // Renaming onto another link of the same inode is a POSIX no-op (and no change);
        // contents are unique per created inode, so equal contents mean the same inode.
        if (next.count(to) != 0 && next[to] == next[from]) continue;
        RC_ASSERT(env.rename(from, to).ok());
        next[to] = next[from];
        next.erase(from);
        break;
      case 2:
        if (!env.file_exists(from)) continue;
        RC_ASSERT(env.remove_file(from).ok());
        next.erase(from);
        break;
      default:
        if (!env.file_exists(from) || env.file_exists(to)) continue;
        RC_ASSERT(env.link(from, to).ok());
        next[to] = next[from];
        break;
    }
    history.push_back(std::move(next));
  }
  env.crash();
  Names after;
  auto listing = env.list_dir("/d");
  RC_ASSERT(listing.ok());
  for (const std::string& name : *listing) {
    after["/d/" + name] = must_read(env, "/d/" + name);
  }
  RC_ASSERT(std::find(history.begin(), history.end(), after) != history.end());
}

}  // namespace
}  // namespace tierkv::sim
