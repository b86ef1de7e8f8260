// The Backend contract suite, written once (GoogleTest type-parameterised) and instantiated for
// every backend kind: tests/backends/backend_contract_test.cc for memory, leveldb, sqlite and
// lmdb, tests/hybrid/ for the HybridStore. A Harness (backend_harness.h) opens the backend.
//
// TIERKV_LONG=1 raises the model-test rounds; the default run stays short.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "engine/backends/backend.h"
#include "sim/runtime/prng.h"

namespace tierkv::testing {

using Model = std::map<std::string, std::string>;

inline bool long_run() {
  const char* value = std::getenv("TIERKV_LONG");
  return value != nullptr && std::string(value) == "1";
}

// Keys spread over three tags ("a/", "b/", "c/"), so a HybridStore routes them to both sides.
inline std::string test_key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%c/%08llu", static_cast<char>('a' + i % 3),
                static_cast<unsigned long long>(i));
  return buf;
}

inline std::string test_value(uint64_t i, size_t size_bytes = 16) {
  std::string value(size_bytes, '\0');
  sim::Prng prng(i);
  for (char& c : value) c = static_cast<char>(prng.next_u64());
  return value;
}

inline std::vector<KeyValue> model_scan(const Model& model, const KeyRange& range, size_t limit) {
  std::vector<KeyValue> out;
  for (auto it = model.lower_bound(range.start); it != model.end(); ++it) {
    if (!range.end.empty() && it->first >= range.end) break;
    if (limit != 0 && out.size() >= limit) break;
    out.push_back({it->first, it->second});
  }
  return out;
}

inline void expect_state(Backend& backend, const Model& model) {
  Result<std::vector<KeyValue>> all = backend.scan(KeyRange{}, 0);
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  EXPECT_EQ(*all, model_scan(model, KeyRange{}, 0));
}

template <typename Harness>
class BackendContract : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> open(const std::string& name) {
    Result<std::unique_ptr<Backend>> backend = harness_.open(harness_.path(name));
    EXPECT_TRUE(backend.ok()) << backend.status().to_string();
    return backend.ok() ? std::move(*backend) : nullptr;
  }
  // Puts keys [from, from + count) in batches; each batch holds keys of one tag only, so a
  // HybridStore (atomic per side only) accepts it too.
  Status put_all(Backend& backend, Model* model, uint64_t from, uint64_t count,
                 size_t value_bytes = 16) {
    constexpr uint64_t kBatchOps = 2000;
    for (uint64_t tag = 0; tag < 3; ++tag) {
      WriteBatch batch;
      for (uint64_t j = from; j < from + count; ++j) {
        if (j % 3 != tag) continue;
        batch.put(test_key(j), test_value(j, value_bytes));
        (*model)[test_key(j)] = test_value(j, value_bytes);
        if (batch.size() == kBatchOps) {
          TIERKV_RETURN_IF_ERROR(backend.write(batch));
          batch.clear();
        }
      }
      if (!batch.empty()) TIERKV_RETURN_IF_ERROR(backend.write(batch));
    }
    return Status();
  }

  Harness harness_;
};

TYPED_TEST_SUITE_P(BackendContract);

TYPED_TEST_P(BackendContract, RoundTripOverwriteAndMissingKey) {
  auto backend = this->open("db");
  ASSERT_NE(backend, nullptr);
  EXPECT_TRUE(backend->get("a/1").status().is_not_found());
  ASSERT_TRUE(backend->put("a/1", "one").ok());
  ASSERT_TRUE(backend->put("b/2", "").ok());  // empty values are values
  EXPECT_EQ(*backend->get("a/1"), "one");
  EXPECT_EQ(*backend->get("b/2"), "");
  ASSERT_TRUE(backend->put("a/1", "uno").ok());
  EXPECT_EQ(*backend->get("a/1"), "uno");
  const std::string binary("k\0\xff\x01", 4);
  ASSERT_TRUE(backend->put(binary, std::string("\0v\0", 3)).ok());
  EXPECT_EQ(*backend->get(binary), std::string("\0v\0", 3));
  // get_into: the value replaces whatever the buffer held; a missing key is NotFound.
  std::string buffer = "a longer value that the buffer held before each read";
  ASSERT_TRUE(backend->get_into("a/1", &buffer).ok());
  EXPECT_EQ(buffer, "uno");
  ASSERT_TRUE(backend->get_into("b/2", &buffer).ok());
  EXPECT_EQ(buffer, "");
  ASSERT_TRUE(backend->get_into(binary, &buffer).ok());
  EXPECT_EQ(buffer, std::string("\0v\0", 3));
  EXPECT_TRUE(backend->get_into("c/absent", &buffer).is_not_found());
  Result<std::string> missing = backend->get("c/absent");
  EXPECT_TRUE(missing.status().is_not_found());
  if (TypeParam::kNotFoundNamesKey) {
    EXPECT_NE(missing.status().message().find("c/absent"), std::string::npos)
        << "NotFound must name the key: " << missing.status().to_string();
  }
}

TYPED_TEST_P(BackendContract, DeleteIsIdempotent) {
  auto backend = this->open("db");
  ASSERT_NE(backend, nullptr);
  EXPECT_TRUE(backend->remove("a/never").ok());
  ASSERT_TRUE(backend->put("a/k", "v").ok());
  ASSERT_TRUE(backend->remove("a/k").ok());
  EXPECT_TRUE(backend->get("a/k").status().is_not_found());
  EXPECT_TRUE(backend->remove("a/k").ok());
  WriteBatch batch;
  batch.remove("b/never");
  EXPECT_TRUE(backend->write(batch).ok());
}

TYPED_TEST_P(BackendContract, ScansAreOrderedBoundedAndLimited) {
  auto backend = this->open("db");
  ASSERT_NE(backend, nullptr);
  Model model;
  sim::Prng prng(3);
  for (int b = 0; b < 10; ++b) {  // random insertion order, in batches (real fsyncs are slow)
    WriteBatch batch;
    for (int i = 0; i < 30; ++i) {
      const uint64_t n = prng.uniform(333) * 3 + b % 3;  // one tag per batch
      batch.put(test_key(n), test_value(n));
      model[test_key(n)] = test_value(n);
    }
    ASSERT_TRUE(backend->write(batch).ok());
  }
  expect_state(*backend, model);
  for (int round = 0; round < 30; ++round) {
    KeyRange range{test_key(prng.uniform(1000)), test_key(prng.uniform(1000))};
    if (range.end < range.start) std::swap(range.start, range.end);
    if (round % 5 == 0) range.end.clear();  // unbounded above
    const size_t limit = prng.uniform(4) == 0 ? 0 : prng.uniform(50);
    Result<std::vector<KeyValue>> got = backend->scan(range, limit);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    const std::vector<KeyValue> want = model_scan(model, range, limit);
    EXPECT_EQ(*got, want) << range.start << " .. " << range.end;
    // scan_keys: the same keys without their values.
    Result<std::vector<std::string>> keys = backend->scan_keys(range, limit);
    ASSERT_TRUE(keys.ok()) << keys.status().to_string();
    ASSERT_EQ(keys->size(), want.size()) << range.start << " .. " << range.end;
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ((*keys)[i], want[i].key);
  }
  // A range that ends before it starts holds no key.
  const KeyRange reversed{test_key(902), test_key(900)};  // "c/00000902" .. "a/00000900"
  Result<std::vector<KeyValue>> none = backend->scan(reversed, 0);
  ASSERT_TRUE(none.ok()) << none.status().to_string();
  EXPECT_TRUE(none->empty());
  Result<std::vector<std::string>> no_keys = backend->scan_keys(reversed, 5);
  ASSERT_TRUE(no_keys.ok()) << no_keys.status().to_string();
  EXPECT_TRUE(no_keys->empty());
}

TYPED_TEST_P(BackendContract, PrefixScansHandleEmptyAndFfEdges) {
  auto backend = this->open("db");
  ASSERT_NE(backend, nullptr);
  Model model;
  const std::vector<std::string> keys = {"p",         "p\x01",    "p\xfe\xff", "p\xff",
                                         "p\xff\xff", std::string("p\xff\0z", 4), "q",      "o\xff",
                                         "\xff",      "\xff\xff", "\xff\x01", "a/1"};
  for (const std::string& key : keys) {
    ASSERT_TRUE(backend->put(key, "v" + key).ok());
    model[key] = "v" + key;
  }
  for (const std::string& prefix :
       {std::string(), std::string("p"), std::string("p\xff"), std::string("p\xff\xff"),
        std::string("\xff"), std::string("\xff\xff"), std::string("zzz")}) {
    Model expected;
    for (const auto& [k, v] : model) {
      if (k.compare(0, prefix.size(), prefix) == 0) expected[k] = v;
    }
    Result<std::vector<KeyValue>> got = backend->scan_prefix(prefix);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_EQ(*got, model_scan(expected, KeyRange{}, 0)) << "prefix size " << prefix.size();
    Result<std::vector<KeyValue>> limited = backend->scan_prefix(prefix, 1);
    ASSERT_TRUE(limited.ok());
    EXPECT_EQ(limited->size(), std::min<size_t>(1, expected.size()));
  }
}

TYPED_TEST_P(BackendContract, BatchAppliesInOrder) {
  auto backend = this->open("db");
  ASSERT_NE(backend, nullptr);
  ASSERT_TRUE(backend->put("b/gone", "old").ok());
  WriteBatch batch;
  batch.put("b/x", "1");
  batch.put("b/x", "2");  // a later op on the same key wins
  batch.remove("b/gone");
  batch.put("b/y", "y");
  batch.remove("b/y");
  ASSERT_TRUE(backend->write(batch).ok());
  expect_state(*backend, Model{{"b/x", "2"}});
}

TYPED_TEST_P(BackendContract, FailedBatchLeavesNothingBehind) {
  auto backend = this->open("db");
  ASSERT_NE(backend, nullptr);
  Model model;
  ASSERT_TRUE(backend->put("b/keep", "before").ok());
  model["b/keep"] = "before";
  WriteBatch batch;
  for (uint64_t i = 0; i < 60; ++i) batch.put("b/batch" + std::to_string(i), test_value(i, 4096));
  batch.remove("b/keep");
  this->harness_.inject_batch_failure(&batch);
  Status failed = backend->write(batch);
  EXPECT_FALSE(failed.ok()) << "the injected failure must reach the caller";
  this->harness_.clear_failure();
  Result<std::string> keep = backend->get("b/keep");
  if (keep.ok()) {  // still answering: nothing of the batch is visible
    EXPECT_EQ(*keep, "before");
    for (uint64_t i = 0; i < 60; i += 7) {
      EXPECT_TRUE(backend->get("b/batch" + std::to_string(i)).status().is_not_found());
    }
  } else {
    // Or it refuses every call until reopened (LevelDB: the failed batch may already be in
    // its log, so only recovery knows its outcome); never a NotFound that could be wrong.
    ASSERT_TRUE(TypeParam::kDurable) << keep.status().to_string();
    EXPECT_FALSE(keep.status().is_not_found()) << keep.status().to_string();
    EXPECT_NE(keep.status().to_string().find("reopen"), std::string::npos)
        << keep.status().to_string();
  }
  if (TypeParam::kDurable) {
    ASSERT_TRUE(backend->close().ok());
    backend = this->open("db");
    ASSERT_NE(backend, nullptr);
    expect_state(*backend, model);
  }
  WriteBatch again;
  again.put("b/after", "ok");
  ASSERT_TRUE(backend->write(again).ok());
  EXPECT_EQ(*backend->get("b/after"), "ok");
}

// A durable backend keeps every acknowledged write across close/reopen; the memory backend
// documents the opposite (volatile until checkpointed), which is checked too.
TYPED_TEST_P(BackendContract, ReopenKeepsEveryAcknowledgedWrite) {
  auto backend = this->open("db");
  ASSERT_NE(backend, nullptr);
  Model model;
  ASSERT_TRUE(this->put_all(*backend, &model, 0, 3000, 100).ok());
  WriteBatch removals;
  for (uint64_t i = 0; i < 3000; i += 3) {
    if (i % 300 == 0) {
      ASSERT_TRUE(backend->remove(test_key(i)).ok());  // some single removes, some batched
    } else {
      removals.remove(test_key(i));
    }
    model.erase(test_key(i));
  }
  ASSERT_TRUE(backend->write(removals).ok());
  ASSERT_TRUE(backend->close().ok());
  backend = this->open("db");
  ASSERT_NE(backend, nullptr);
  expect_state(*backend, TypeParam::kDurable ? model : Model{});
}

TYPED_TEST_P(BackendContract, CheckpointReopensToTheStateAtCheckpointTime) {
  auto backend = this->open("db");
  ASSERT_NE(backend, nullptr);
  Model model;
  ASSERT_TRUE(this->put_all(*backend, &model, 0, 2000, 200).ok());
  ASSERT_TRUE(backend->remove(test_key(5)).ok());
  model.erase(test_key(5));
  ASSERT_TRUE(backend->checkpoint(this->harness_.path("ckpt")).ok());
  const Model at_checkpoint = model;
  ASSERT_TRUE(this->put_all(*backend, &model, 1000, 2000, 50).ok());  // overwrites and new keys
  ASSERT_TRUE(backend->remove(test_key(6)).ok());
  model.erase(test_key(6));
  expect_state(*backend, model);
  auto copy = this->open("ckpt");
  ASSERT_NE(copy, nullptr);
  expect_state(*copy, at_checkpoint);
  EXPECT_FALSE(backend->checkpoint(this->harness_.path("ckpt")).ok())
      << "checkpoint into an existing directory must be refused";
}

TYPED_TEST_P(BackendContract, OneMebibyteValues) {
  auto backend = this->open("db");
  ASSERT_NE(backend, nullptr);
  constexpr size_t kValueBytes = 1 << 20;
  Model model;
  for (uint64_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(backend->put(test_key(i), test_value(i, kValueBytes)).ok());
    model[test_key(i)] = test_value(i, kValueBytes);
  }
  ASSERT_TRUE(backend->put(test_key(1), test_value(99, kValueBytes)).ok());
  model[test_key(1)] = test_value(99, kValueBytes);
  expect_state(*backend, model);
  if (TypeParam::kDurable) {
    ASSERT_TRUE(backend->close().ok());
    backend = this->open("db");
    ASSERT_NE(backend, nullptr);
    expect_state(*backend, model);
  }
}

TYPED_TEST_P(BackendContract, HundredThousandKeys) {
  auto backend = this->open("db");
  ASSERT_NE(backend, nullptr);
  constexpr uint64_t kKeys = 100'000;
  Model model;
  ASSERT_TRUE(this->put_all(*backend, &model, 0, kKeys, 8).ok());
  Result<std::vector<KeyValue>> all = backend->scan(KeyRange{}, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), kKeys);
  EXPECT_EQ(*all, model_scan(model, KeyRange{}, 0));
  Result<std::vector<KeyValue>> page = backend->scan(KeyRange{test_key(50'000), {}}, 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(*page, model_scan(model, KeyRange{test_key(50'000), {}}, 100));
}

// Random puts, removes, batches and scans against a std::map model.
TYPED_TEST_P(BackendContract, MatchesAnOrderedMapModel) {
  const int rounds = long_run() ? 200 : 3;
  for (int round = 0; round < rounds; ++round) {
    auto backend = this->open("model" + std::to_string(round));
    ASSERT_NE(backend, nullptr);
    sim::Prng prng(1000 + round);
    Model model;
    for (int step = 0; step < 60; ++step) {
      const uint64_t n = prng.uniform(40);
      switch (prng.uniform(4)) {
        case 0:
          ASSERT_TRUE(backend->put(test_key(n), test_value(step)).ok());
          model[test_key(n)] = test_value(step);
          break;
        case 1:
          ASSERT_TRUE(backend->remove(test_key(n)).ok());
          model.erase(test_key(n));
          break;
        case 2: {
          WriteBatch batch;
          for (uint64_t j = 0; j < 5; ++j) batch.put(test_key(n + 3 * j), test_value(j));
          batch.remove(test_key(n + 6));  // same tag: the batch stays on one hybrid side
          ASSERT_TRUE(backend->write(batch).ok());
          for (uint64_t j = 0; j < 5; ++j) model[test_key(n + 3 * j)] = test_value(j);
          model.erase(test_key(n + 6));
          break;
        }
        default: {
          KeyRange range{test_key(n), prng.chance(1, 3) ? std::string() : test_key(n + 10)};
          const size_t limit = prng.uniform(6);
          Result<std::vector<KeyValue>> got = backend->scan(range, limit);
          ASSERT_TRUE(got.ok());
          ASSERT_EQ(*got, model_scan(model, range, limit)) << "round " << round;
        }
      }
    }
    expect_state(*backend, model);
  }
}

REGISTER_TYPED_TEST_SUITE_P(BackendContract, RoundTripOverwriteAndMissingKey, DeleteIsIdempotent,
                            ScansAreOrderedBoundedAndLimited, PrefixScansHandleEmptyAndFfEdges,
                            BatchAppliesInOrder, FailedBatchLeavesNothingBehind,
                            ReopenKeepsEveryAcknowledgedWrite,
                            CheckpointReopensToTheStateAtCheckpointTime, OneMebibyteValues,
                            HundredThousandKeys, MatchesAnOrderedMapModel);

}  // namespace tierkv::testing
