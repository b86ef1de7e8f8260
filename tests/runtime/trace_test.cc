// TraceHash: the value a run's events hash to is part of every scenario file's meaning (a
// replay must reproduce it), so it is pinned here against values computed by the string-tag
// implementation the kind tags replaced.
#include "sim/runtime/trace.h"

#include <gtest/gtest.h>

namespace tierkv::sim {
namespace {

// Two events per tag: one with integers and a text, one with the defaults.
std::string two_events(TraceHash::Kind kind) {
  TraceHash hash;
  hash.mix(kind, 7, 9, "path/x");
  hash.mix(kind);
  EXPECT_EQ(hash.events(), 2u);
  return hash.hex();
}

TEST(TraceHashTest, KindTagsOfEveryLengthHashAsTheirBytes) {
  EXPECT_EQ(two_events(""), "41d194f716373b0d");
  EXPECT_EQ(two_events("op"), "86c4ef7c2d58220f");
  EXPECT_EQ(two_events("env"), "dfb241ee56409a07");
  EXPECT_EQ(two_events("timer"), "73b2f25a0f150c82");
  EXPECT_EQ(two_events("rollback"), "c9634000c16e7649");          // one whole word
  EXPECT_EQ(two_events("crash-point"), "78cb0a98dc616379");       // a word and a tail
  EXPECT_EQ(two_events("sixteen-byte-tag"), "3e3d1fd27378ea2d");  // two whole words
}

TEST(TraceHashTest, EveryFieldAndTheOrderOfEventsChangeTheValue) {
  const auto hex = [](uint64_t a, uint64_t b, std::string_view text) {
    TraceHash hash;
    hash.mix("env", a, b, text);
    return hash.hex();
  };
  EXPECT_NE(hex(1, 2, "p"), hex(2, 1, "p"));
  EXPECT_NE(hex(1, 2, "p"), hex(1, 2, "q"));
  EXPECT_NE(hex(1, 2, "p"), hex(1, 2, ""));
  TraceHash timer_then_env;
  timer_then_env.mix("timer", 1);
  timer_then_env.mix("env", 1);
  TraceHash env_then_timer;
  env_then_timer.mix("env", 1);
  env_then_timer.mix("timer", 1);
  EXPECT_NE(timer_then_env.value(), env_then_timer.value());
}

}  // namespace
}  // namespace tierkv::sim
