// Status and Result<T> (engine/core/status.h): codes and messages, context chaining, and the
// early-return macros, which are how every engine layer propagates errors.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/core/status.h"

namespace tierkv {
namespace {

TEST(StatusTest, OkAndErrorCodesWithNamedMessages) {
  EXPECT_TRUE(Status().ok());
  EXPECT_EQ(Status().to_string(), "OK");
  Status s = Status::corruption("segment /db/wal/1.wal offset 40: checksum mismatch");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.is_corruption());
  EXPECT_FALSE(s.is_io_error());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.to_string(), "Corruption: segment /db/wal/1.wal offset 40: checksum mismatch");
  EXPECT_EQ(Status::no_space("x").to_string(), "NoSpace: x");
  EXPECT_EQ(Status::busy("LOCK").to_string(), "Busy: LOCK");
  EXPECT_EQ(Status::retry_exhausted("cas").to_string(), "RetryExhausted: cas");
  EXPECT_EQ(status_code_name(StatusCode::kInvalidArgument), "InvalidArgument");
}

TEST(StatusTest, WithContextPrefixesTheMessageAndKeepsTheCode) {
  Status s = Status::not_found("key k").with_context("tier primary");
  EXPECT_TRUE(s.is_not_found());
  EXPECT_EQ(s.message(), "tier primary: key k");
  EXPECT_TRUE(Status().with_context("anything").ok());
  EXPECT_EQ(Status::io_error("a"), Status::io_error("a"));
  EXPECT_NE(Status::io_error("a"), Status::corruption("a"));
}

Status fails_at(int step, int* reached) {
  TIERKV_RETURN_IF_ERROR(step == 1 ? Status::io_error("step 1") : Status());
  *reached = 1;
  TIERKV_RETURN_IF_ERROR(step == 2 ? Status::busy("step 2") : Status());
  *reached = 2;
  return Status();
}

Result<std::unique_ptr<int>> make_value(bool ok) {
  if (!ok) return Status::invalid_argument("no value wanted");
  return std::make_unique<int>(42);
}

Result<int> doubled(bool ok) {
  TIERKV_ASSIGN_OR_RETURN(auto value, make_value(ok));
  return *value * 2;
}

TEST(StatusTest, MacrosReturnTheFirstErrorAndPassValuesOn) {
  int reached = 0;
  EXPECT_EQ(fails_at(1, &reached).message(), "step 1");
  EXPECT_EQ(reached, 0);
  EXPECT_TRUE(fails_at(2, &reached).is_busy());
  EXPECT_EQ(reached, 1);
  EXPECT_TRUE(fails_at(0, &reached).ok());
  EXPECT_EQ(reached, 2);
  ASSERT_TRUE(doubled(true).ok());
  EXPECT_EQ(*doubled(true), 84);
  EXPECT_TRUE(doubled(false).status().is_invalid_argument());
  EXPECT_EQ(doubled(false).status().message(), "no value wanted");
}

TEST(StatusTest, ResultHoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = make_value(true);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> owned = std::move(r).value();
  EXPECT_EQ(*owned, 42);
}

}  // namespace
}  // namespace tierkv
