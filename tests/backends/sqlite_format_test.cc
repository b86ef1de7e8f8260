// SqliteBackend's file format (sqlite_backend.h, Layout): a new database is written in format
// kSqliteFormatVersion; a database of another format (the format-1 WITHOUT ROWID table, or an
// unknown user_version) fails open with NotSupported naming the format and keeps its rows.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "engine/backends/sqlite_backend.h"
#include "engine/io/env_util.h"
#include "engine/io/posix_env.h"
#include "tests/backends/backend_harness.h"

namespace tierkv {
namespace {

// A raw connection on SQLite's own VFS to <dir>/kv.db (the backend closed meanwhile).
class RawDb {
 public:
  explicit RawDb(const std::string& dir) {
    const std::string path = join_path(dir, kSqliteDbName);
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                              nullptr),
              SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* bytes = sqlite3_column_text(stmt, 0);
      if (bytes != nullptr) out = reinterpret_cast<const char*>(bytes);
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

BackendOptions options_for(PosixEnv* env, const std::string& dir) {
  BackendOptions options;
  options.env = env;
  options.dir = dir;
  options.sync = true;
  return options;
}

// Opening dir fails with NotSupported whose message names dir and holds `names`.
void expect_open_refused(PosixEnv* env, const std::string& dir, const std::string& names) {
  auto backend = SqliteBackend::open(options_for(env, dir));
  ASSERT_FALSE(backend.ok());
  EXPECT_TRUE(backend.status().is_not_supported()) << backend.status().to_string();
  EXPECT_NE(backend.status().message().find(names), std::string::npos)
      << backend.status().to_string();
  EXPECT_NE(backend.status().message().find(dir), std::string::npos)
      << backend.status().to_string();
}

TEST(SqliteFormat, NewDatabaseIsFormat2WithLargeValuesOutsideTheKeyBtree) {
  testing::TempDir tmp;
  PosixEnv env;
  const std::string dir = join_path(tmp.path(), "db");
  const std::string large(kSqliteInlineValueMax + 1, 'L');
  auto count_big_rows = [&] {
    RawDb raw(dir);
    return raw.text("SELECT count(*) FROM big");
  };
  {
    auto backend = SqliteBackend::open(options_for(&env, dir));
    ASSERT_TRUE(backend.ok()) << backend.status().to_string();
    ASSERT_TRUE((*backend)->put("small", std::string(kSqliteInlineValueMax, 's')).ok());
    ASSERT_TRUE((*backend)->put("large", large).ok());
    ASSERT_TRUE((*backend)->put("gone", large).ok());
  }
  {
    RawDb raw(dir);
    EXPECT_EQ(raw.text("PRAGMA user_version"), std::to_string(kSqliteFormatVersion));
    EXPECT_EQ(raw.text("SELECT value FROM kv WHERE key = CAST('small' AS BLOB)"),
              std::string(kSqliteInlineValueMax, 's'));
    EXPECT_EQ(raw.text("SELECT ifnull(value, 'NULL') FROM kv WHERE key = CAST('large' AS BLOB)"),
              "NULL");
  }
  EXPECT_EQ(count_big_rows(), "2");
  {
    // Replacing a large value by a small one, by a large one, and removing one free their rows.
    auto backend = SqliteBackend::open(options_for(&env, dir));
    ASSERT_TRUE(backend.ok()) << backend.status().to_string();
    ASSERT_TRUE((*backend)->put("large", large + "2").ok());
    ASSERT_TRUE((*backend)->remove("gone").ok());
    EXPECT_EQ((*backend)->get("large").value(), large + "2");
  }
  EXPECT_EQ(count_big_rows(), "1");
  {
    auto backend = SqliteBackend::open(options_for(&env, dir));
    ASSERT_TRUE(backend.ok()) << backend.status().to_string();
    ASSERT_TRUE((*backend)->put("large", "now small").ok());
    EXPECT_EQ((*backend)->get("large").value(), "now small");
  }
  EXPECT_EQ(count_big_rows(), "0");
}

TEST(SqliteFormat, LargeValuesRoundTripThroughOverwriteScanAndReopen) {
  testing::TempDir tmp;
  PosixEnv env;
  const std::string dir = join_path(tmp.path(), "db");
  auto big = [](char fill, size_t n) { return std::string(n, fill); };
  {
    auto backend = SqliteBackend::open(options_for(&env, dir));
    ASSERT_TRUE(backend.ok()) << backend.status().to_string();
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE((*backend)->put("b" + std::to_string(100 + i), big('a' + i % 26, 65536)).ok());
    }
    // An overwrite with a value of another size, and one shrinking to a small value.
    ASSERT_TRUE((*backend)->put("b105", big('X', 70000)).ok());
    ASSERT_TRUE((*backend)->put("b106", "small").ok());
    ASSERT_TRUE((*backend)->remove("b107").ok());
  }
  auto backend = SqliteBackend::open(options_for(&env, dir));
  ASSERT_TRUE(backend.ok()) << backend.status().to_string();
  EXPECT_EQ((*backend)->get("b105").value(), big('X', 70000));
  EXPECT_EQ((*backend)->get("b106").value(), "small");
  EXPECT_TRUE((*backend)->get("b107").status().is_not_found());
  EXPECT_EQ((*backend)->get("b139").value(), big('a' + 39 % 26, 65536));
  auto rows = (*backend)->scan_prefix("b1", 0);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 39u);
  for (size_t i = 1; i < rows->size(); ++i) EXPECT_LT((*rows)[i - 1].key, (*rows)[i].key);
  EXPECT_EQ((*rows)[5].key, "b105");
  EXPECT_EQ((*rows)[5].value.size(), 70000u);
}

// A format-1 file (WITHOUT ROWID, user_version 0) and a file of an unknown user_version.
TEST(SqliteFormat, OtherFormatsFailOpenNamingTheFormatAndKeepTheirRows) {
  struct Case {
    std::string create;
    std::string user_version;
    std::string names;
  };
  for (const Case& c :
       {Case{"CREATE TABLE kv(key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID", "0", "format 1"},
        Case{kSqliteSchemaSql, "7", "format 7"}}) {
    testing::TempDir tmp;
    PosixEnv env;
    const std::string dir = join_path(tmp.path(), "db");
    ASSERT_TRUE(create_dirs_durably(env, dir).ok());
    {
      RawDb raw(dir);
      raw.exec(c.create);
      raw.exec("PRAGMA user_version=" + c.user_version);
      raw.exec("INSERT INTO kv(key, value) VALUES(CAST('k' AS BLOB), CAST('old' AS BLOB))");
    }
    expect_open_refused(&env, dir, c.names);
    RawDb raw(dir);
    EXPECT_EQ(raw.text("SELECT value FROM kv WHERE key = CAST('k' AS BLOB)"), "old") << c.names;
    EXPECT_EQ(raw.text("PRAGMA user_version"), c.user_version) << c.names;
  }
}

}  // namespace
}  // namespace tierkv
