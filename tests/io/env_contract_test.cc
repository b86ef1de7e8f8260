// The Env contract (engine/io/env.h), written once and run on PosixEnv (a fresh temp dir under
// /tmp, removed afterwards) and on the simulator's SimEnv: round trips, append / write_at /
// read_at at and past EOF, truncate, open modes, rename, link, remove, directory listing and
// creation, sync, locks, and error messages that name the path at fault.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/env.h"
#include "engine/io/env_util.h"
#include "engine/io/posix_env.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/trace.h"

namespace tierkv {
namespace {

// Owns one Env and a root directory inside it that exists and is empty.
class EnvHarness {
 public:
  virtual ~EnvHarness() = default;
  virtual Env& env() = 0;
  const std::string& root() const { return root_; }
  std::string path(std::string_view name) const { return join_path(root_, name); }

 protected:
  std::string root_;
};

class PosixHarness final : public EnvHarness {
 public:
  PosixHarness() {
    char pattern[] = "/tmp/tierkv-env-test-XXXXXX";
    char* made = ::mkdtemp(pattern);
    EXPECT_NE(made, nullptr);
    root_ = made == nullptr ? "/tmp/tierkv-env-test-failed" : made;
  }
  ~PosixHarness() override { EXPECT_TRUE(remove_dir_recursive(env_, root_).ok()); }
  Env& env() override { return env_; }

 private:
  PosixEnv env_;
};

class SimHarness final : public EnvHarness {
 public:
  SimHarness() : prng_(17), env_(prng_, trace_) {
    root_ = "/root";
    EXPECT_TRUE(env_.create_dir(root_).ok());
  }
  Env& env() override { return env_; }

 private:
  sim::Prng prng_;
  sim::TraceHash trace_;
  sim::SimEnv env_;
};

std::unique_ptr<EnvHarness> make_harness(const std::string& kind) {
  if (kind == "posix") return std::make_unique<PosixHarness>();
  return std::make_unique<SimHarness>();
}

class EnvContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { h_ = make_harness(GetParam()); }
  Env& env() { return h_->env(); }
  std::string path(std::string_view name) const { return h_->path(name); }

  std::unique_ptr<File> open(const std::string& p, OpenMode mode) {
    auto file = env().open_file(p, mode);
    EXPECT_TRUE(file.ok()) << file.status().to_string();
    return file.ok() ? std::move(file).value() : nullptr;
  }
  std::string read_all(const std::string& p) {
    auto data = read_file_to_string(env(), p);
    EXPECT_TRUE(data.ok()) << data.status().to_string();
    return data.ok() ? *data : std::string("<unreadable>");
  }

  std::unique_ptr<EnvHarness> h_;
};

TEST_P(EnvContractTest, AppendWriteAtAndReadAtRoundTrip) {
  auto file = open(path("f"), OpenMode::kCreate);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->append("hello ").ok());
  ASSERT_TRUE(file->append("world").ok());
  ASSERT_TRUE(file->write_at(0, "J").ok());  // overwrite in place
  ASSERT_TRUE(file->sync().ok());
  EXPECT_EQ(*file->size(), 11u);
  char buf[32];
  auto n = file->read_at(6, 5, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "world");
  // A read across EOF is short; at or past EOF it is empty.
  n = file->read_at(8, 10, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "rld");
  EXPECT_EQ(*file->read_at(11, 4, buf), 0u);
  EXPECT_EQ(*file->read_at(100, 4, buf), 0u);
  EXPECT_EQ(file->path(), path("f"));
  ASSERT_TRUE(file->close().ok());
  EXPECT_EQ(read_all(path("f")), "Jello world");
}

TEST_P(EnvContractTest, WriteAtPastTheEndZeroFillsAndAppendContinuesAtTheNewEnd) {
  auto file = open(path("f"), OpenMode::kCreate);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->append("ab").ok());
  ASSERT_TRUE(file->write_at(5, "xy").ok());
  ASSERT_TRUE(file->append("z").ok());
  ASSERT_TRUE(file->close().ok());
  EXPECT_EQ(read_all(path("f")), std::string("ab\0\0\0xyz", 8));
}

TEST_P(EnvContractTest, TruncateCutsDataAndAppendsFollowTheCut) {
  auto file = open(path("f"), OpenMode::kCreate);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->append("0123456789").ok());
  ASSERT_TRUE(file->truncate(4).ok());
  ASSERT_TRUE(file->append("ab").ok());
  ASSERT_TRUE(file->sync().ok());
  EXPECT_EQ(*env().file_size(path("f")), 6u);
  EXPECT_EQ(read_all(path("f")), "0123ab");
}

TEST_P(EnvContractTest, OpenModesKeepTheirPromises) {
  const std::string p = path("f");
  auto missing = env().open_file(p, OpenMode::kReadOnly);
  ASSERT_TRUE(missing.status().is_not_found()) << missing.status().to_string();
  EXPECT_NE(missing.status().message().find(p), std::string::npos) << missing.status().message();
  EXPECT_TRUE(env().open_file(p, OpenMode::kReadWrite).status().is_not_found());

  ASSERT_TRUE(write_file_atomically(env(), p, "old").ok());
  auto exclusive = env().open_file(p, OpenMode::kCreateExclusive);
  ASSERT_FALSE(exclusive.ok());
  EXPECT_NE(exclusive.status().message().find(p), std::string::npos);

  auto reader = open(p, OpenMode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  Status write = reader->append("x");
  ASSERT_FALSE(write.ok()) << "a read-only file accepted a write";
  EXPECT_NE(write.message().find(p), std::string::npos) << write.message();
  reader.reset();

  auto keep = open(p, OpenMode::kCreate);  // existing data stays
  ASSERT_NE(keep, nullptr);
  EXPECT_EQ(*keep->size(), 3u);
  keep.reset();
  auto trunc = open(p, OpenMode::kCreateTruncate);
  ASSERT_NE(trunc, nullptr);
  EXPECT_EQ(*trunc->size(), 0u);
}

TEST_P(EnvContractTest, ACallOnAClosedFileFailsNamingIt) {
  auto file = open(path("f"), OpenMode::kCreate);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->close().ok());
  Status s = file->append("x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path("f")), std::string::npos) << s.message();
}

TEST_P(EnvContractTest, RenameReplacesTheTargetAtomically) {
  ASSERT_TRUE(write_file_atomically(env(), path("a"), "new").ok());
  ASSERT_TRUE(write_file_atomically(env(), path("b"), "old").ok());
  ASSERT_TRUE(env().rename(path("a"), path("b")).ok());
  ASSERT_TRUE(env().sync_dir(h_->root()).ok());
  EXPECT_FALSE(env().file_exists(path("a")));
  EXPECT_EQ(read_all(path("b")), "new");
  Status missing = env().rename(path("nope"), path("c"));
  ASSERT_TRUE(missing.is_not_found()) << missing.to_string();
  EXPECT_NE(missing.message().find(path("nope")), std::string::npos) << missing.message();
}

TEST_P(EnvContractTest, LinkSharesContentAndRefusesAnExistingTarget) {
  ASSERT_TRUE(write_file_atomically(env(), path("a"), "data").ok());
  ASSERT_TRUE(env().link(path("a"), path("b")).ok());
  ASSERT_TRUE(env().remove_file(path("a")).ok());
  EXPECT_EQ(read_all(path("b")), "data");  // the link keeps the data alive
  ASSERT_TRUE(write_file_atomically(env(), path("c"), "other").ok());
  EXPECT_FALSE(env().link(path("b"), path("c")).ok());
  EXPECT_EQ(read_all(path("c")), "other");
}

TEST_P(EnvContractTest, RemoveFileOfAMissingFileIsNotFoundNamingIt) {
  Status s = env().remove_file(path("ghost"));
  ASSERT_TRUE(s.is_not_found()) << s.to_string();
  EXPECT_NE(s.message().find(path("ghost")), std::string::npos) << s.message();
}

TEST_P(EnvContractTest, DirectoriesAreCreatedIdempotentlyListedSortedAndRemovedOnlyEmpty) {
  const std::string dir = path("d");
  ASSERT_TRUE(env().create_dir(dir).ok());
  ASSERT_TRUE(env().create_dir(dir).ok());  // exists already: fine
  EXPECT_TRUE(env().dir_exists(dir));
  EXPECT_FALSE(env().file_exists(dir));
  for (const char* name : {"b", "a10", "a2", "Z"}) {
    ASSERT_TRUE(write_file_atomically(env(), join_path(dir, name), name).ok());
  }
  ASSERT_TRUE(env().create_dir(join_path(dir, "sub")).ok());
  ASSERT_TRUE(env().sync_dir(dir).ok());
  auto names = env().list_dir(dir);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"Z", "a10", "a2", "b", "sub"}));
  EXPECT_FALSE(env().remove_dir(dir).ok()) << "removed a non-empty directory";
  EXPECT_TRUE(env().dir_exists(join_path(dir, "sub")));
  ASSERT_TRUE(env().remove_dir(join_path(dir, "sub")).ok());
  EXPECT_TRUE(env().remove_dir(join_path(dir, "sub")).is_not_found());
  ASSERT_TRUE(remove_dir_recursive(env(), dir).ok());
  EXPECT_FALSE(env().dir_exists(dir));
  EXPECT_TRUE(remove_dir_recursive(env(), dir).ok());  // missing: fine
  EXPECT_FALSE(env().list_dir(dir).ok());
}

TEST_P(EnvContractTest, CreateDirOverAFileFailsAndFileSizeOfADirectoryFails) {
  ASSERT_TRUE(write_file_atomically(env(), path("f"), "x").ok());
  EXPECT_FALSE(env().create_dir(path("f")).ok());
  ASSERT_TRUE(env().create_dir(path("d")).ok());
  EXPECT_FALSE(env().file_size(path("d")).ok());
  EXPECT_TRUE(env().file_size(path("missing")).status().is_not_found());
}

TEST_P(EnvContractTest, CreateDirsDurablyMakesEveryLevel) {
  const std::string deep = path("x/y/z");
  ASSERT_TRUE(create_dirs_durably(env(), deep).ok());
  EXPECT_TRUE(env().dir_exists(path("x")));
  EXPECT_TRUE(env().dir_exists(deep));
  ASSERT_TRUE(create_dirs_durably(env(), deep).ok());
}

TEST_P(EnvContractTest, WriteFileAtomicallyReplacesWholeContentsAndLeavesNoTemp) {
  ASSERT_TRUE(write_file_atomically(env(), path("f"), "first version").ok());
  ASSERT_TRUE(write_file_atomically(env(), path("f"), "2nd").ok());
  EXPECT_EQ(read_all(path("f")), "2nd");
  auto names = env().list_dir(h_->root());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"f"});
  auto missing = read_file_to_string(env(), path("nope"));
  ASSERT_TRUE(missing.status().is_not_found());
  EXPECT_NE(missing.status().message().find(path("nope")), std::string::npos);
}

TEST_P(EnvContractTest, ALockIsExclusiveUntilReleased) {
  const std::string lock_path = path("LOCK");
  auto first = env().lock_file(lock_path);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  auto second = env().lock_file(lock_path);
  ASSERT_TRUE(second.status().is_busy()) << second.status().to_string();
  EXPECT_NE(second.status().message().find(lock_path), std::string::npos)
      << second.status().message();
  first->reset();  // released on destruction
  auto third = env().lock_file(lock_path);
  EXPECT_TRUE(third.ok()) << third.status().to_string();
}

TEST_P(EnvContractTest, SyncAndSyncDirSucceedAndSyncDirOfAMissingDirFailsNamingIt) {
  auto file = open(path("f"), OpenMode::kCreate);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->append("x").ok());
  EXPECT_TRUE(file->sync().ok());
  EXPECT_TRUE(env().sync_dir(h_->root()).ok());
  Status s = env().sync_dir(path("no-such-dir"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path("no-such-dir")), std::string::npos) << s.message();
}

// LevelDbEnvBridge relies on this split: PosixEnv maps (no syscall per table read), SimEnv says
// NotSupported so that every simulated read passes its fault hook and trace.
TEST_P(EnvContractTest, MapReadOnlyShowsTheFileOrIsNotSupportedNamingIt) {
  auto file = open(path("table"), OpenMode::kCreate);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->append("immutable bytes").ok());
  ASSERT_TRUE(file->sync().ok());
  auto mapping = env().map_read_only(path("table"));
  if (GetParam() == "sim") {
    ASSERT_FALSE(mapping.ok());
    EXPECT_TRUE(mapping.status().is_not_supported()) << mapping.status().to_string();
    EXPECT_NE(mapping.status().message().find(path("table")), std::string::npos);
    return;
  }
  ASSERT_TRUE(mapping.ok()) << mapping.status().to_string();
  EXPECT_EQ((*mapping)->bytes(), "immutable bytes");
}

INSTANTIATE_TEST_SUITE_P(Envs, EnvContractTest, ::testing::Values("posix", "sim"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tierkv
