// SimEnv: the Env contract in memory plus its power-cut model, faults, crash point and locks.
#include "sim/runtime/sim_env.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/io/env_util.h"

namespace tierkv::sim {
namespace {

struct EnvWorld {
  explicit EnvWorld(uint64_t seed = 1, SimEnvOptions options = {})
      : prng(seed), env(prng, trace, options) {}
  Prng prng;
  TraceHash trace;
  SimEnv env;
};

SimEnvOptions no_unsynced_dir_ops() {
  SimEnvOptions options;
  options.keep_unsynced_dir_ops = false;
  return options;
}

void write_file(Env& env, const std::string& path, std::string_view data, bool sync) {
  auto file = env.open_file(path, OpenMode::kCreateTruncate);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  ASSERT_TRUE((*file)->append(data).ok());
  if (sync) {
    ASSERT_TRUE((*file)->sync().ok());
  }
}

std::string read_all(Env& env, const std::string& path) {
  auto data = read_file_to_string(env, path);
  return data.ok() ? *data : "<" + data.status().to_string() + ">";
}

TEST(SimEnvTest, ReadsSeeWritesAppendsAndTruncates) {
  EnvWorld w;
  ASSERT_TRUE(w.env.create_dir("/db").ok());
  auto file = w.env.open_file("/db/a", OpenMode::kCreate);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->append("hello").ok());
  ASSERT_TRUE((*file)->write_at(8, "xy").ok());  // zero-fills the gap
  EXPECT_EQ(read_all(w.env, "/db/a"), std::string("hello\0\0\0xy", 10));
  char buf[16];
  auto n = (*file)->read_at(7, 16, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), std::string("\0xy", 3));
  EXPECT_EQ(*(*file)->read_at(10, 4, buf), 0u);
  ASSERT_TRUE((*file)->truncate(4).ok());
  EXPECT_EQ(*(*file)->size(), 4u);
  EXPECT_EQ(*w.env.file_size("/db/a"), 4u);
  ASSERT_TRUE((*file)->close().ok());
  EXPECT_TRUE((*file)->append("x").is_io_error());  // closed
}

TEST(SimEnvTest, OpenModesAndNamespaceErrorsNameThePath) {
  EnvWorld w;
  auto missing = w.env.open_file("/nope", OpenMode::kReadOnly);
  EXPECT_TRUE(missing.status().is_not_found());
  EXPECT_NE(missing.status().message().find("/nope"), std::string::npos);
  EXPECT_TRUE(w.env.open_file("/no/dir/file", OpenMode::kCreate).status().is_not_found());
  write_file(w.env, "/f", "1", false);
  EXPECT_FALSE(w.env.open_file("/f", OpenMode::kCreateExclusive).ok());
  auto read_only = w.env.open_file("/f", OpenMode::kReadOnly);
  ASSERT_TRUE(read_only.ok());
  EXPECT_FALSE((*read_only)->append("x").ok());
  EXPECT_EQ(read_all(w.env, "/f"), "1");
  EXPECT_TRUE(w.env.create_dir("/d").ok());
  EXPECT_TRUE(w.env.create_dir("/d").ok());  // idempotent
  EXPECT_FALSE(w.env.create_dir("/f").ok());
  write_file(w.env, "/d/x", "", false);
  EXPECT_TRUE(w.env.remove_dir("/d").is_io_error());  // not empty
  EXPECT_TRUE(w.env.remove_dir("/missing").is_not_found());
  EXPECT_TRUE(w.env.remove_file("/missing").is_not_found());
  EXPECT_TRUE(w.env.open_file("/d/../f", OpenMode::kReadOnly).status().is_invalid_argument());
  EXPECT_TRUE(w.env.link("/f", "/d/x").is_io_error());  // target exists
  EXPECT_TRUE(w.env.rename("/missing", "/g").is_not_found());
  EXPECT_TRUE(w.env.file_exists("/d/x"));
  EXPECT_FALSE(w.env.file_exists("/d"));
  EXPECT_TRUE(w.env.dir_exists("/d"));
  EXPECT_TRUE(w.env.dir_exists("d"));  // one root: "/d" and "d" are the same
}

TEST(SimEnvTest, ListDirIsSortedBytewise) {
  EnvWorld w;
  ASSERT_TRUE(w.env.create_dir("/d").ok());
  for (const char* name : {"b", "a-x", "a", "B", "a_b", "z"}) {
    write_file(w.env, std::string("/d/") + name, "", false);
  }
  EXPECT_FALSE(w.env.create_dir("/d/a/").ok());  // "a" is a file
  ASSERT_TRUE(w.env.create_dir("/d/sub").ok());
  write_file(w.env, "/d/sub/q", "", false);
  const std::vector<std::string> expected = {"B", "a", "a-x", "a_b", "b", "sub", "z"};
  EXPECT_EQ(*w.env.list_dir("/d"), expected);
  const std::vector<std::string> all = w.env.list_all_files();
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(all.size(), 7u);
  EXPECT_EQ(all.back(), "/d/z");
}

TEST(SimEnvTest, UnsyncedDataIsLostOnCrashAndSyncedDataSurvives) {
  EnvWorld w(1, no_unsynced_dir_ops());
  ASSERT_TRUE(w.env.create_dir("/db").ok());
  ASSERT_TRUE(w.env.sync_dir("/").ok());
  auto file = w.env.open_file("/db/log", OpenMode::kCreate);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(w.env.sync_dir("/db").ok());
  ASSERT_TRUE((*file)->append("synced;").ok());
  ASSERT_TRUE((*file)->sync().ok());
  ASSERT_TRUE((*file)->append("unsynced").ok());
  EXPECT_EQ(*w.env.durable_file_content("/db/log"), "synced;");
  EXPECT_EQ(*w.env.volatile_file_content("/db/log"), "synced;unsynced");
  w.env.crash();
  EXPECT_EQ(read_all(w.env, "/db/log"), "synced;");
}

TEST(SimEnvTest, CreationWithoutSyncDirIsLostAndWithItSurvives) {
  EnvWorld w(1, no_unsynced_dir_ops());
  write_file(w.env, "/early", "data", true);
  write_file(w.env, "/kept", "data", true);
  ASSERT_TRUE(w.env.sync_dir("/").ok());
  write_file(w.env, "/late", "data", true);  // created after the sync_dir
  ASSERT_TRUE(w.env.remove_file("/kept").ok());
  w.env.crash();
  EXPECT_TRUE(w.env.file_exists("/early"));  // made durable by the sync_dir above
  EXPECT_TRUE(w.env.file_exists("/kept"));  // its unsynced removal was lost
  EXPECT_FALSE(w.env.file_exists("/late"));
  EXPECT_EQ(read_all(w.env, "/kept"), "data");
}

TEST(SimEnvTest, UnsyncedDirectoryChangesSurviveASeededPrefix) {
  // keep_unsynced_dir_ops: across seeds, an unsynced creation sometimes survives, sometimes
  // not, and changes survive only in order (a later one never without the earlier ones).
  std::set<std::pair<bool, bool>> outcomes;
  for (uint64_t seed = 1; seed <= 64; ++seed) {
    EnvWorld w(seed);
    write_file(w.env, "/first", "1", true);
    write_file(w.env, "/second", "2", true);
    w.env.crash();
    const bool first = w.env.file_exists("/first");
    const bool second = w.env.file_exists("/second");
    EXPECT_TRUE(first || !second) << "seed " << seed << ": a later change without an earlier";
    outcomes.insert({first, second});
  }
  EXPECT_EQ(outcomes.size(), 3u);  // none, first only, both
}

TEST(SimEnvTest, RenameIsAtomicAcrossCrashes) {
  std::set<std::string> seen;
  for (uint64_t seed = 1; seed <= 64; ++seed) {
    EnvWorld w(seed);
    write_file(w.env, "/CURRENT", "old-contents", true);
    ASSERT_TRUE(w.env.sync_dir("/").ok());
    write_file(w.env, "/CURRENT.tmp", "new-contents-longer", true);
    ASSERT_TRUE(w.env.rename("/CURRENT.tmp", "/CURRENT").ok());
    w.env.crash();
    const std::string after = read_all(w.env, "/CURRENT");
    EXPECT_TRUE(after == "old-contents" || after == "new-contents-longer")
        << "seed " << seed << ": " << after;
    seen.insert(after);
  }
  EXPECT_EQ(seen.size(), 2u);  // the unsynced rename is sometimes kept, sometimes lost
  EnvWorld w(7);
  ASSERT_TRUE(write_file_atomically(w.env, "/CURRENT", "v1").ok());
  ASSERT_TRUE(write_file_atomically(w.env, "/CURRENT", "v2").ok());  // syncs the directory
  w.env.crash();
  EXPECT_EQ(read_all(w.env, "/CURRENT"), "v2");
  EXPECT_FALSE(w.env.file_exists("/CURRENT.tmp"));
}

TEST(SimEnvTest, TornWritesKeepVaryingSectorPrefixesOfTheTail) {
  // The crash model must really exercise recovery code: across seeds, a torn tail sometimes
  // loses everything unsynced, sometimes keeps part of it, sometimes all, sometimes garbled.
  SimEnvOptions options;
  options.torn_writes = true;
  options.sector_size_bytes = 16;
  const std::string durable = "durable:";
  const std::string tail(100, 't');
  bool none = false, partial = false, full = false, garbled = false;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    EnvWorld w(seed, options);
    write_file(w.env, "/wal", durable, true);
    ASSERT_TRUE(w.env.sync_dir("/").ok());
    auto file = w.env.open_file("/wal", OpenMode::kReadWrite);
    ASSERT_TRUE((*file)->append(tail).ok());
    w.env.crash();
    const std::string after = read_all(w.env, "/wal");
    ASSERT_EQ(after.compare(0, durable.size(), durable), 0) << "seed " << seed;
    const std::string kept = after.substr(durable.size());
    none |= kept.empty();
    partial |= !kept.empty() && kept.size() < tail.size();
    full |= kept == tail;
    garbled |= kept.find_first_not_of('t') != std::string::npos;
  }
  EXPECT_TRUE(none);
  EXPECT_TRUE(partial);
  EXPECT_TRUE(full);
  EXPECT_TRUE(garbled);
}

TEST(SimEnvTest, LinkSharesContent) {
  EnvWorld w;
  write_file(w.env, "/a", "one", false);
  ASSERT_TRUE(w.env.link("/a", "/b").ok());
  auto file = w.env.open_file("/a", OpenMode::kReadWrite);
  ASSERT_TRUE((*file)->append("+two").ok());
  EXPECT_EQ(read_all(w.env, "/b"), "one+two");
  ASSERT_TRUE(w.env.rename("/a", "/b").ok());  // both name one inode: nothing changes
  EXPECT_TRUE(w.env.file_exists("/a"));
  ASSERT_TRUE(w.env.remove_file("/a").ok());
  EXPECT_EQ(read_all(w.env, "/b"), "one+two");
  ASSERT_TRUE((*file)->append("+three").ok());  // an open handle outlives its name
  EXPECT_EQ(read_all(w.env, "/b"), "one+two+three");
}

TEST(SimEnvTest, FaultHookErrorsReachTheCallerAndChangeNothing) {
  EnvWorld w(1, no_unsynced_dir_ops());
  write_file(w.env, "/wal", "abc", true);
  ASSERT_TRUE(w.env.sync_dir("/").ok());
  w.env.set_fault_hook([](const SimOp& op) {
    if (op.kind == SimOpKind::kAppend) return Status::no_space("disk full");
    if (op.kind == SimOpKind::kRename || op.kind == SimOpKind::kSync) {
      return Status::io_error("EIO");
    }
    if (op.kind == SimOpKind::kOpen && op.path == "/new") return Status::io_error("EIO");
    return Status();
  });
  auto file = w.env.open_file("/wal", OpenMode::kReadWrite);
  ASSERT_TRUE(file.ok());
  const Status append = (*file)->append("def");
  EXPECT_TRUE(append.is_no_space());
  EXPECT_NE(append.message().find("/wal"), std::string::npos);
  EXPECT_EQ(read_all(w.env, "/wal"), "abc");
  ASSERT_TRUE((*file)->write_at(3, "xyz").ok());
  EXPECT_TRUE((*file)->sync().is_io_error());
  EXPECT_EQ(*w.env.durable_file_content("/wal"), "abc");  // the failed sync made nothing durable
  EXPECT_TRUE(w.env.rename("/wal", "/wal2").is_io_error());
  EXPECT_TRUE(w.env.file_exists("/wal"));
  EXPECT_FALSE(w.env.file_exists("/wal2"));
  EXPECT_TRUE(w.env.open_file("/new", OpenMode::kCreate).status().is_io_error());
  EXPECT_FALSE(w.env.file_exists("/new"));
  w.env.set_fault_hook({});
  EXPECT_TRUE((*file)->sync().ok());
  EXPECT_EQ(*w.env.durable_file_content("/wal"), "abcxyz");
}

TEST(SimEnvTest, OperationsFailFromTheCrashPointAndOldHandlesDieAfterCrash) {
  EnvWorld w(1, no_unsynced_dir_ops());
  auto file = w.env.open_file("/log", OpenMode::kCreate);  // mutating op 1
  ASSERT_TRUE(w.env.sync_dir("/").ok());                   // 2
  w.env.set_crash_after_ops(2);
  EXPECT_TRUE((*file)->append("a").ok());  // 1 of 2
  EXPECT_TRUE((*file)->sync().ok());       // 2 of 2
  EXPECT_FALSE(w.env.crashed());
  const Status dead = (*file)->append("b");  // the crash point
  EXPECT_TRUE(dead.is_io_error());
  EXPECT_NE(dead.message().find("simulated process crash"), std::string::npos);
  EXPECT_TRUE(w.env.crashed());
  char buf[4];
  EXPECT_FALSE((*file)->read_at(0, 1, buf).ok());
  EXPECT_FALSE(w.env.open_file("/log", OpenMode::kReadOnly).ok());
  EXPECT_FALSE(w.env.list_dir("/").ok());
  EXPECT_FALSE(w.env.file_exists("/log"));
  w.env.crash();
  EXPECT_FALSE(w.env.crashed());
  EXPECT_TRUE((*file)->append("c").is_io_error());  // a handle from before the crash
  EXPECT_TRUE((*file)->sync().is_io_error());
  EXPECT_EQ(read_all(w.env, "/log"), "a");
  auto reopened = w.env.open_file("/log", OpenMode::kReadWrite);
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE((*reopened)->append("d").ok());
}

TEST(SimEnvTest, LocksAreExclusiveAndReleasedOnDestructionAndCrash) {
  EnvWorld w;
  ASSERT_TRUE(w.env.create_dir("/db").ok());
  auto first = w.env.lock_file("/db/LOCK");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(w.env.file_exists("/db/LOCK"));
  EXPECT_TRUE(w.env.lock_file("/db/LOCK").status().is_busy());
  EXPECT_TRUE(w.env.lock_file("db//LOCK").status().is_busy());  // same file, other spelling
  EXPECT_TRUE(w.env.lock_file("/db/OTHER").ok());
  first->reset();
  auto second = w.env.lock_file("/db/LOCK");
  ASSERT_TRUE(second.ok());
  w.env.crash();  // a dead process holds no lock
  ASSERT_TRUE(w.env.create_dir("/db").ok());
  auto third = w.env.lock_file("/db/LOCK");
  ASSERT_TRUE(third.ok());
  second->reset();  // the pre-crash lock must not release the new holder's lock
  EXPECT_TRUE(w.env.lock_file("/db/LOCK").status().is_busy());
}

TEST(SimEnvTest, HandlesOutlivingTheEnvFailCleanly) {
  std::unique_ptr<File> file;
  std::unique_ptr<FileLock> lock;
  {
    EnvWorld w;
    file = std::move(*w.env.open_file("/f", OpenMode::kCreate));
    lock = std::move(*w.env.lock_file("/L"));
  }
  EXPECT_TRUE(file->append("x").is_io_error());
  lock.reset();
}

TEST(SimEnvTest, FlipBitRotsVolatileAndDurableContent) {
  EnvWorld w;
  write_file(w.env, "/f", "AAAA", true);
  ASSERT_TRUE(w.env.sync_dir("/").ok());
  ASSERT_TRUE(w.env.flip_bit("/f", 2, 0).ok());
  EXPECT_EQ(read_all(w.env, "/f"), "AA@A");
  EXPECT_EQ(*w.env.durable_file_content("/f"), "AA@A");
  w.env.crash();
  EXPECT_EQ(read_all(w.env, "/f"), "AA@A");
  EXPECT_TRUE(w.env.flip_bit("/f", 4, 0).is_invalid_argument());
  EXPECT_TRUE(w.env.flip_bit("/g", 0, 0).is_not_found());
}

TEST(SimEnvTest, EveryOperationIsTracedDeterministically) {
  auto run = [](bool extra_op) {
    EnvWorld w(5);
    write_file(w.env, "/a", "xyz", true);
    if (extra_op) {
      EXPECT_TRUE(w.env.sync_dir("/").ok());
    }
    w.env.crash();
    return std::make_pair(w.trace.value(), w.env.ops_count());
  };
  EXPECT_EQ(run(false), run(false));
  EXPECT_NE(run(false).first, run(true).first);
  EXPECT_EQ(run(true).second, run(false).second + 1);
}

}  // namespace
}  // namespace tierkv::sim
