// Scenario files: a strict JSON round trip; every malformed input is a clear InvalidArgument
// naming the field, never a crash.
#include "sim/scenario.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>

namespace tierkv::sim {
namespace {

Scenario small_scenario() {
  Scenario s;
  s.seed = 42;
  s.build_id = "g++-12 RelWithDebInfo";
  s.clients = 2;
  s.world.backend = "leveldb";
  Op write;
  write.kind = OpKind::kWrite;
  write.client = 1;
  write.primary_namespace = "ns";
  write.key = "k1";
  write.value_bytes = 16;
  Op batch;
  batch.kind = OpKind::kAtomicBatch;
  batch.keys = {"a", "b"};
  s.ops = {write, batch};
  Fault crash;
  crash.kind = FaultKind::kCrash;
  crash.at = 17;
  s.faults = {crash};
  s.expected_violation = "recovery";
  return s;
}

// Applies `edit` to the JSON of small_scenario() and parses the result.
Status parse_edited(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json document = nlohmann::json::parse(scenario_to_json(small_scenario()));
  edit(document);
  Result<Scenario> parsed = scenario_from_json(document.dump());
  return parsed.ok() ? Status::ok_status() : parsed.status();
}

void expect_error(const Status& status, const std::string& message) {
  EXPECT_TRUE(status.is_invalid_argument()) << status.to_string();
  EXPECT_EQ(status.message(), message);
}

TEST(ScenarioJson, RoundTripsEveryField) {
  const Scenario original = small_scenario();
  Result<Scenario> parsed = scenario_from_json(scenario_to_json(original));
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, original);
}

TEST(ScenarioJson, NamesTheOffendingField) {
  expect_error(parse_edited([](auto& j) { j["ops"][1]["kind"] = "wrte"; }),
               "ops[1].kind: unknown op kind 'wrte'");
  expect_error(parse_edited([](auto& j) { j["world"]["backend"] = 3; }),
               "world.backend: expected a string");
  expect_error(parse_edited([](auto& j) { j["world"]["backend"] = "rocksdb"; }),
               "world.backend: unknown backend 'rocksdb' (expected memory, leveldb, sqlite or lmdb)");
  expect_error(parse_edited([](auto& j) { j["faults"][0]["rate_ppm"] = 2000000; }),
               "faults[0].rate_ppm: 2000000 exceeds 1000000");
  expect_error(parse_edited([](auto& j) { j["faults"][0]["at"] = -1; }),
               "faults[0].at: must not be negative");
  expect_error(parse_edited([](auto& j) { j["seed"] = 1.5; }),
               "seed: expected an unsigned integer");
  expect_error(parse_edited([](auto& j) { j["ops"][0]["client"] = 2; }),
               "ops[0].client: 2 is not below clients (2)");
  expect_error(parse_edited([](auto& j) { j["ops"][1]["keys"][1] = false; }),
               "ops[1].keys[1]: expected a string");
  expect_error(parse_edited([](auto& j) { j["hot_keys"] = "yes"; }),
               "hot_keys: expected true or false");
  expect_error(parse_edited([](auto& j) { j["clients"] = 0; }), "clients: must be at least 1");
  expect_error(parse_edited([](auto& j) { j["ops"] = nlohmann::json::object(); }),
               "ops: expected an array");
  expect_error(parse_edited([](auto& j) {
                 j["ops"][0]["kind"] = "overlay_put_blocks";
                 j["ops"][0]["value_bytes"] = 0;
               }),
               "ops[0].value_bytes: an overlay_put_blocks op puts 1..64 blocks, got 0");
  expect_error(parse_edited([](auto& j) {
                 j["ops"][0]["kind"] = "overlay_put_blocks";
                 j["ops"][0]["value_bytes"] = 65;
               }),
               "ops[0].value_bytes: an overlay_put_blocks op puts 1..64 blocks, got 65");
  EXPECT_TRUE(parse_edited([](auto& j) {
                j["ops"][0]["kind"] = "overlay_put_blocks";
                j["ops"][0]["value_bytes"] = 4;
              }).ok());
}

TEST(ScenarioJson, RejectsUnknownAndMissingFields) {
  expect_error(parse_edited([](auto& j) { j["world"]["compression"] = true; }),
               "world.compression: unknown field");
  expect_error(parse_edited([](auto& j) { j["ops"][0]["valeu_bytes"] = 1; }),
               "ops[0].valeu_bytes: unknown field");
  expect_error(parse_edited([](auto& j) { j.erase("faults"); }), "faults: missing field");
  expect_error(parse_edited([](auto& j) { j["faults"][0].erase("target"); }),
               "faults[0].target: missing field");
  expect_error(parse_edited([](auto& j) { j["format_version"] = 9; }),
               "format_version: unsupported version 9 (this build reads 1 and 2)");
  expect_error(parse_edited([](auto& j) { j["faults"][0]["kind"] = "meteor"; }),
               "faults[0].kind: unknown fault kind 'meteor' (expected one of crash, torn_writes, "
               "io_error, no_space, backup_outage, slow_backup, ephemeral_loss, lost_dir_entry, "
               "bit_rot, buggify)");
}

TEST(ScenarioJson, HybridBtreeIsOptionalAndCheckedWhenPresent) {
  // A file written before the field existed has a SQLite B-tree side.
  nlohmann::json old = nlohmann::json::parse(scenario_to_json(small_scenario()));
  old["world"]["hybrid"] = true;
  old["world"].erase("hybrid_btree");
  Result<Scenario> parsed = scenario_from_json(old.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->world.hybrid_btree, "sqlite");
  Scenario lmdb = small_scenario();
  lmdb.world.hybrid = true;
  lmdb.world.hybrid_btree = "lmdb";
  const std::string json = scenario_to_json(lmdb);
  EXPECT_NE(json.find("\"hybrid_btree\":\"lmdb\""), std::string::npos) << json;
  parsed = scenario_from_json(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, lmdb);
  expect_error(parse_edited([](auto& j) { j["world"]["hybrid_btree"] = "rocksdb"; }),
               "world.hybrid_btree: unknown B-tree backend 'rocksdb' (expected sqlite or lmdb)");
  expect_error(parse_edited([](auto& j) { j["world"]["hybrid_btree"] = true; }),
               "world.hybrid_btree: expected a string");
}

TEST(ScenarioJson, OverlayJournalPutsIsOptionalAndCheckedWhenPresent) {
  // A file written before the field existed has an overlay store without journaled puts.
  nlohmann::json old = nlohmann::json::parse(scenario_to_json(small_scenario()));
  old["world"]["overlay_store"] = true;
  old["world"].erase("overlay_journal_puts");
  Result<Scenario> parsed = scenario_from_json(old.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->world.overlay_journal_puts, 0u);
  Scenario journaled = small_scenario();
  journaled.world.overlay_store = true;
  journaled.world.overlay_journal_puts = 3;
  const std::string json = scenario_to_json(journaled);
  EXPECT_NE(json.find("\"overlay_journal_puts\":3"), std::string::npos) << json;
  parsed = scenario_from_json(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, journaled);
  expect_error(parse_edited([](auto& j) { j["world"]["overlay_journal_puts"] = -1; }),
               "world.overlay_journal_puts: must not be negative");
  expect_error(parse_edited([](auto& j) { j["world"]["overlay_journal_puts"] = "many"; }),
               "world.overlay_journal_puts: expected an unsigned integer");
}

TEST(ScenarioJson, AsyncBatchFieldsAreOptionalAndCheckedWhenPresent) {
  // A file written before the fields existed has an async mirror with TierStore's defaults.
  nlohmann::json old = nlohmann::json::parse(scenario_to_json(small_scenario()));
  old["world"]["async_backup"] = true;
  old["world"].erase("async_batch_max_keys");
  old["world"].erase("async_batch_delay_us");
  Result<Scenario> parsed = scenario_from_json(old.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->world.async_batch_max_keys, 64u);
  EXPECT_EQ(parsed->world.async_batch_delay_us, 1000u);
  Scenario batched = small_scenario();
  batched.world.async_backup = true;
  batched.world.async_batch_max_keys = 4;
  batched.world.async_batch_delay_us = 5000;
  const std::string json = scenario_to_json(batched);
  EXPECT_NE(json.find("\"async_batch_max_keys\":4"), std::string::npos) << json;
  EXPECT_NE(json.find("\"async_batch_delay_us\":5000"), std::string::npos) << json;
  parsed = scenario_from_json(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, batched);
  expect_error(parse_edited([](auto& j) { j["world"]["async_batch_max_keys"] = 0; }),
               "world.async_batch_max_keys: must be at least 1");
  expect_error(parse_edited([](auto& j) { j["world"]["async_batch_max_keys"] = -4; }),
               "world.async_batch_max_keys: must not be negative");
  expect_error(parse_edited([](auto& j) { j["world"]["async_batch_delay_us"] = "1ms"; }),
               "world.async_batch_delay_us: expected an unsigned integer");
  expect_error(parse_edited([](auto& j) { j["world"]["async_batch_delay_us"] = 10'000'001; }),
               "world.async_batch_delay_us: 10000001 exceeds 10000000");
}

TEST(ScenarioJson, MalformedTextIsAnErrorNotACrash) {
  for (const char* text : {"", "{", "[]", "null", "{\"seed\": }", "\xff\xfe", "42",
                           "{\"format_version\": 1} trailing"}) {
    Result<Scenario> parsed = scenario_from_json(text);
    EXPECT_FALSE(parsed.ok()) << text;
    EXPECT_TRUE(parsed.status().is_invalid_argument()) << text;
  }
  Result<Scenario> truncated = scenario_from_json("{\"seed\": ");
  EXPECT_NE(truncated.status().message().find("malformed JSON"), std::string::npos);
}

RC_GTEST_PROP(ScenarioJson, AnyTruncationOrByteFlipIsHandled, (uint32_t cut, uint8_t byte)) {
  std::string text = scenario_to_json(small_scenario());
  const size_t position = cut % text.size();
  std::string truncated = text.substr(0, position);
  (void)scenario_from_json(truncated);  // must return, ok or not, without throwing
  text[position] = static_cast<char>(byte);
  Result<Scenario> flipped = scenario_from_json(text);
  RC_ASSERT(flipped.ok() || flipped.status().is_invalid_argument());
}

// Identifier-ish strings: what the workload writes (and what JSON carries losslessly).
rc::Gen<std::string> gen_name() {
  return rc::gen::container<std::string>(rc::gen::elementOf(std::string(
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")));
}

rc::Gen<Op> gen_op(uint32_t clients) {
  return rc::gen::exec([clients] {
    Op op;
    op.kind = static_cast<OpKind>(*rc::gen::inRange(0, kOpKindCount));
    op.client = *rc::gen::inRange<uint32_t>(0, clients);
    op.primary_namespace = *gen_name();
    op.secondary_namespace = *gen_name();
    op.key = *gen_name();
    op.keys = *rc::gen::container<std::vector<std::string>>(gen_name());
    op.value_bytes = op.kind == OpKind::kOverlayPutBlocks
                         ? *rc::gen::inRange<uint32_t>(1, kOverlayPutBlocksMax + 1)
                         : *rc::gen::inRange<uint32_t>(0, 1u << 20);
    op.amount = *rc::gen::arbitrary<uint64_t>();
    return op;
  });
}

rc::Gen<Fault> gen_fault() {
  return rc::gen::exec([] {
    Fault fault;
    fault.kind = static_cast<FaultKind>(*rc::gen::inRange(0, 10));
    fault.at = *rc::gen::arbitrary<uint64_t>();
    fault.duration = *rc::gen::arbitrary<uint64_t>();
    fault.rate_ppm = *rc::gen::inRange<uint32_t>(0, 1'000'001);
    fault.target = *gen_name();
    fault.over_budget = *rc::gen::arbitrary<bool>();
    return fault;
  });
}

RC_GTEST_PROP(ScenarioJson, RoundTripProperty, ()) {
  Scenario s;
  s.seed = *rc::gen::arbitrary<uint64_t>();
  s.build_id = *gen_name();
  s.clients = *rc::gen::inRange<uint32_t>(1, 1025);
  s.hot_keys = *rc::gen::arbitrary<bool>();
  s.over_budget = *rc::gen::arbitrary<bool>();
  s.world.backend = *rc::gen::element<std::string>("memory", "leveldb", "sqlite", "lmdb");
  s.world.versioned_primary = *rc::gen::arbitrary<bool>();
  s.world.hybrid = *rc::gen::arbitrary<bool>();
  s.world.hybrid_btree = *rc::gen::element<std::string>("sqlite", "lmdb");
  s.world.async_backup = *rc::gen::arbitrary<bool>();
  s.world.overlay_store = *rc::gen::arbitrary<bool>();
  s.world.snapshot_interval_versions = *rc::gen::arbitrary<uint64_t>();
  s.world.wal_segment_size_bytes = *rc::gen::inRange<uint64_t>(1, UINT64_MAX);
  s.world.sector_size_bytes = *rc::gen::inRange<uint32_t>(1, 65537);
  s.world.latency_us_max = *rc::gen::arbitrary<uint32_t>();
  s.ops = *rc::gen::container<std::vector<Op>>(gen_op(s.clients));
  s.faults = *rc::gen::container<std::vector<Fault>>(gen_fault());
  s.expected_violation = *gen_name();
  s.fault_decisions = *rc::gen::element(FaultDecisions::kStream, FaultDecisions::kSite);
  Result<Scenario> parsed = scenario_from_json(scenario_to_json(s));
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == s);
}

TEST(ScenarioNames, OpAndFaultKindsRoundTrip) {
  for (int i = 0; i < kOpKindCount; ++i) {
    const auto kind = static_cast<OpKind>(i);
    EXPECT_EQ(*parse_op_kind(op_kind_name(kind)), kind);
  }
  for (int i = 0; i < 10; ++i) {
    const auto kind = static_cast<FaultKind>(i);
    EXPECT_EQ(*parse_fault_kind(fault_kind_name(kind)), kind);
  }
  EXPECT_TRUE(parse_op_kind("wrte").status().is_invalid_argument());
}

}  // namespace
}  // namespace tierkv::sim
