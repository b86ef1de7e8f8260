// PosixEnv beyond the shared Env contract: its lock excludes other processes and other
// spellings of the same path, and system errors map to the Status codes callers branch on,
// with messages naming the operation, the path and the OS reason.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "engine/io/env_util.h"
#include "engine/io/posix_env.h"

namespace tierkv {
namespace {

class PosixEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tierkv-posix-test-XXXXXX";
    char* made = ::mkdtemp(pattern);
    ASSERT_NE(made, nullptr);
    root_ = made;
  }
  void TearDown() override { EXPECT_TRUE(remove_dir_recursive(env_, root_).ok()); }

  // Exit code of a child process that tries lock_file(path): 0 locked, 1 Busy, 2 other error.
  int lock_in_child(const std::string& path) {
    pid_t pid = ::fork();
    if (pid == 0) {
      PosixEnv child_env;
      auto lock = child_env.lock_file(path);
      ::_exit(lock.ok() ? 0 : (lock.status().is_busy() ? 1 : 2));
    }
    int wstatus = 0;
    EXPECT_EQ(::waitpid(pid, &wstatus, 0), pid);
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  }

  PosixEnv env_;
  std::string root_;
};

TEST_F(PosixEnvTest, ALockIsBusyForAnotherProcessUntilReleased) {
  const std::string path = root_ + "/LOCK";
  auto lock = env_.lock_file(path);
  ASSERT_TRUE(lock.ok()) << lock.status().to_string();
  EXPECT_EQ(lock_in_child(path), 1);
  lock->reset();
  EXPECT_EQ(lock_in_child(path), 0);
}

TEST_F(PosixEnvTest, AnotherSpellingOfTheSamePathIsTheSameLock) {
  auto lock = env_.lock_file(root_ + "/LOCK");
  ASSERT_TRUE(lock.ok());
  auto again = env_.lock_file(root_ + "/./LOCK");
  ASSERT_TRUE(again.status().is_busy()) << again.status().to_string();
  EXPECT_NE(again.status().message().find("LOCK"), std::string::npos);
}

TEST_F(PosixEnvTest, SystemErrorsMapToStatusCodesWithPathAndReason) {
  Status no_space = posix_error("write", "/x/seg.wal", ENOSPC);
  EXPECT_TRUE(no_space.is_no_space());
  EXPECT_EQ(no_space.message(), "write /x/seg.wal: No space left on device");
  EXPECT_TRUE(posix_error("write", "/x", EDQUOT).is_no_space());
  EXPECT_TRUE(posix_error("open", "/x", ENOENT).is_not_found());
  Status eio = posix_error("fsync", "/x/seg.wal", EIO);
  EXPECT_TRUE(eio.is_io_error());
  EXPECT_NE(eio.message().find("fsync /x/seg.wal"), std::string::npos);
}

TEST_F(PosixEnvTest, OpeningADirectoryAsAFileFailsNamingIt) {
  auto file = env_.open_file(root_, OpenMode::kReadOnly);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find(root_), std::string::npos);
}

TEST_F(PosixEnvTest, DataWrittenThroughOneFileIsSeenByAnotherOpen) {
  auto writer = env_.open_file(root_ + "/f", OpenMode::kCreate);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->append("abc").ok());
  ASSERT_TRUE((*writer)->sync().ok());
  auto reader = env_.open_file(root_ + "/f", OpenMode::kReadOnly);
  ASSERT_TRUE(reader.ok());
  char buf[8];
  EXPECT_EQ(*(*reader)->read_at(0, 8, buf), 3u);
  // An append-mode File keeps appending after its own end, as tracked, after a reopen too.
  auto appender = env_.open_file(root_ + "/f", OpenMode::kReadWrite);
  ASSERT_TRUE(appender.ok());
  ASSERT_TRUE((*appender)->append("de").ok());
  EXPECT_EQ(*read_file_to_string(env_, root_ + "/f"), "abcde");
}

TEST_F(PosixEnvTest, AMappingShowsTheWholeFileAndOutlivesItsRemoval) {
  const std::string data(3 * 4096 + 17, 'q');  // several pages, the last one partial
  ASSERT_TRUE(write_file_atomically(env_, root_ + "/t.ldb", data).ok());
  auto mapping = env_.map_read_only(root_ + "/t.ldb");
  ASSERT_TRUE(mapping.ok()) << mapping.status().to_string();
  ASSERT_TRUE(env_.remove_file(root_ + "/t.ldb").ok());  // LevelDB drops compacted tables
  EXPECT_EQ((*mapping)->bytes(), data);
}

TEST_F(PosixEnvTest, MappingAnEmptyFileGivesAnEmptyView) {
  ASSERT_TRUE(env_.open_file(root_ + "/empty", OpenMode::kCreate).ok());
  auto mapping = env_.map_read_only(root_ + "/empty");
  ASSERT_TRUE(mapping.ok()) << mapping.status().to_string();
  EXPECT_TRUE((*mapping)->bytes().empty());
}

TEST_F(PosixEnvTest, MappingAMissingFileOrADirectoryFailsNamingIt) {
  auto missing = env_.map_read_only(root_ + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().is_not_found());
  EXPECT_NE(missing.status().message().find(root_ + "/nope"), std::string::npos);
  auto dir = env_.map_read_only(root_);
  ASSERT_FALSE(dir.ok());
  EXPECT_FALSE(dir.status().is_not_supported());  // a real error, not "fall back to read_at"
  EXPECT_NE(dir.status().message().find(root_), std::string::npos);
}

}  // namespace
}  // namespace tierkv
