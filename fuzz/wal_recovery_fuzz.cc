// Fuzz target: WAL segment recovery (Wal::open) on arbitrary segment files.
//
// The input describes 1-3 segment files, either as raw bytes or (structured mode, so the fuzzer
// gets past the checksums) as well-formed records that are then damaged: bits flipped, tails
// cut, garbage appended, versions skipped. A reference decoder states what the WAL contract
// (engine/wal/wal.h) requires of open():
//   - a bad record in a segment that is not the last, or a version that does not follow its
//     predecessor by exactly 1, is Corruption, and the files are left untouched;
//   - a bad record in the last segment followed anywhere by a valid group end record (the
//     evidence that the write holding it was complete) is Corruption too, files untouched;
//   - otherwise open succeeds and the log holds exactly the records before the first torn or
//     corrupt one (a valid prefix, nothing replayed past the damage; group end records are not
//     log records), and the last segment is cut there durably: after a power cut a reopen finds
//     the same records and cuts nothing;
//   - a record appended after recovery survives a reopen behind the recovered ones.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/env_util.h"
#include "engine/wal/record_codec.h"
#include "engine/wal/segment_manager.h"
#include "engine/wal/wal.h"
#include "fuzz/fuzz_check.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/trace.h"

namespace tierkv {
namespace {

constexpr char kWalDir[] = "/wal";
constexpr int kSegmentsMax = 3;
constexpr int kRecordsPerSegmentMax = 6;
constexpr int kDamagesMax = 3;

// Records encoded from the provider; versions mostly consecutive.
std::string structured_segment(FuzzedDataProvider& fdp, uint64_t* next_version) {
  std::string bytes;
  const int records = fdp.ConsumeIntegralInRange(0, kRecordsPerSegmentMax);
  for (int i = 0; i < records; ++i) {
    // Rarely skip or repeat a version (a bug the recovery must refuse, not replay).
    const int step = fdp.ConsumeIntegralInRange(0, 15);
    if (step == 0) *next_version += 1;
    if (step == 1 && *next_version > 1) *next_version -= 1;
    const size_t write_start = bytes.size();
    WalRecord record{fdp.ConsumeIntegral<uint8_t>(), (*next_version)++,
                     fdp.ConsumeRandomLengthString(48)};
    bytes += encode_wal_record(record);
    // Most writes end with their group end record, as Wal writes them.
    if (fdp.ConsumeIntegralInRange(0, 3) != 0) {
      bytes += encode_wal_group_end(write_start, record.version);
    }
  }
  return bytes;
}

void damage(FuzzedDataProvider& fdp, std::string* bytes) {
  const int damages = fdp.ConsumeIntegralInRange(0, kDamagesMax);
  for (int i = 0; i < damages; ++i) {
    const int kind = fdp.ConsumeIntegralInRange(0, 2);
    if (kind == 0 && !bytes->empty()) {  // bit rot
      const size_t at = fdp.ConsumeIntegralInRange<size_t>(0, bytes->size() - 1);
      (*bytes)[at] = static_cast<char>((*bytes)[at] ^ (1 << fdp.ConsumeIntegralInRange(0, 7)));
    } else if (kind == 1) {  // torn tail
      bytes->resize(fdp.ConsumeIntegralInRange<size_t>(0, bytes->size()));
    } else {  // garbage after the last record
      *bytes += fdp.ConsumeRandomLengthString(32);
    }
  }
}

std::vector<std::string> make_segments(FuzzedDataProvider& fdp) {
  const bool structured = fdp.ConsumeBool();
  const int count = fdp.ConsumeIntegralInRange(1, kSegmentsMax);
  uint64_t next_version = fdp.ConsumeBool() ? 1 : fdp.ConsumeIntegralInRange<uint64_t>(1, 1000);
  std::vector<std::string> segments;
  for (int i = 0; i < count; ++i) {
    std::string bytes = structured ? structured_segment(fdp, &next_version)
                                   : fdp.ConsumeRandomLengthString(512);
    if (structured) damage(fdp, &bytes);
    // Two segments cannot share a start offset: an empty one only as the last.
    if (bytes.empty() && i + 1 < count) continue;
    segments.push_back(std::move(bytes));
  }
  return segments;
}

// What open() must do with these segments (see the header comment).
struct Expected {
  bool corruption = false;
  std::vector<WalRecord> records;
  uint64_t last_segment_valid_bytes = 0;
};

Expected reference_recovery(const std::vector<std::string>& segments) {
  Expected expected;
  for (size_t i = 0; i < segments.size(); ++i) {
    const bool is_last = i + 1 == segments.size();
    std::string_view input = segments[i];
    while (true) {
      WalRecord record;
      const std::string_view before = input;
      const Status s = decode_wal_record(&input, &record);
      if (s.is_not_found()) break;
      if (!s.ok()) {
        if (!is_last) expected.corruption = true;
        const std::string_view segment = segments[i];
        for (size_t p = segment.size() - before.size() + 1; p < segment.size(); ++p) {
          if (is_wal_group_end(segment.substr(p))) expected.corruption = true;  // bit rot
        }
        input = before;
        break;
      }
      if (record.type == kWalGroupEndType) continue;
      const uint64_t last = expected.records.empty() ? 0 : expected.records.back().version;
      if (record.version == 0 || (last != 0 && record.version != last + 1)) {
        expected.corruption = true;
        return expected;
      }
      expected.records.push_back(std::move(record));
    }
    if (expected.corruption) return expected;
    if (is_last) expected.last_segment_valid_bytes = segments[i].size() - input.size();
  }
  return expected;
}

std::vector<WalRecord> scan_all(Wal& wal) {
  std::vector<WalRecord> records;
  if (wal.last_version() == 0) return records;
  const Status s = wal.scan(wal.first_version(), wal.last_version(), [&](const WalRecord& r) {
    records.push_back(r);
    return Status();
  });
  FUZZ_CHECK(s.ok(), "scan after a successful open: " + s.to_string());
  return records;
}

Result<std::unique_ptr<Wal>> open_wal(sim::SimEnv& env) {
  return Wal::open(WalOptions{.env = &env, .executor = nullptr, .dir = kWalDir});
}

void check_recovered(sim::SimEnv& env, const std::vector<std::string>& segments,
                     const Expected& expected) {
  auto wal = open_wal(env);
  FUZZ_CHECK(wal.ok(), "open of a log with a torn/corrupt tail only: " + wal.status().to_string());
  FUZZ_CHECK(scan_all(**wal) == expected.records, "recovered records are not the valid prefix");
  uint64_t start = 0;
  for (size_t i = 0; i + 1 < segments.size(); ++i) start += segments[i].size();
  const std::string last_path = join_path(kWalDir, wal_segment_name(start));
  auto durable = env.durable_file_content(last_path);
  FUZZ_CHECK(durable.ok(), "last segment missing after open: " + durable.status().to_string());
  FUZZ_CHECK(*durable == segments.back().substr(0, expected.last_segment_valid_bytes),
             "the torn tail was not cut durably from " + last_path);
  FUZZ_CHECK((*wal)->close().ok(), "close");
}

void check_append_after_recovery(sim::SimEnv& env, std::vector<WalRecord> records) {
  auto wal = open_wal(env);
  FUZZ_CHECK(wal.ok(), "reopen: " + wal.status().to_string());
  FUZZ_CHECK((*wal)->recovery_report().truncated_bytes == 0, "second recovery cut bytes again");
  const uint64_t version = records.empty() ? 1 : records.back().version + 1;
  if (version == 0) return;  // the fuzzer reached the top of the version space
  records.push_back(WalRecord{7, version, "after-recovery"});
  const Status s = (*wal)->append_now(records.back());
  FUZZ_CHECK(s.ok(), "append after recovery: " + s.to_string());
  FUZZ_CHECK((*wal)->close().ok(), "close");
  env.crash();
  auto reopened = open_wal(env);
  FUZZ_CHECK(reopened.ok(), "reopen after append: " + reopened.status().to_string());
  FUZZ_CHECK(scan_all(**reopened) == records, "appended record lost or prefix changed");
}

}  // namespace
}  // namespace tierkv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tierkv;
  FuzzedDataProvider fdp(data, size);
  const std::vector<std::string> segments = make_segments(fdp);
  sim::Prng prng(1);
  sim::TraceHash trace;
  sim::SimEnv env(prng, trace);
  FUZZ_CHECK(create_dirs_durably(env, kWalDir).ok(), "mkdir");
  uint64_t start = 0;
  for (const std::string& bytes : segments) {
    FUZZ_CHECK(write_file_atomically(env, join_path(kWalDir, wal_segment_name(start)), bytes).ok(),
               "write segment");
    start += bytes.size();
  }
  const Expected expected = reference_recovery(segments);
  if (expected.corruption) {
    const std::vector<std::string> files_before = env.list_all_files();
    auto wal = open_wal(env);
    FUZZ_CHECK(!wal.ok() && wal.status().is_corruption(),
               "a log with a bad non-last segment or a version gap must be refused, got " +
                   (wal.ok() ? std::string("OK") : wal.status().to_string()));
    FUZZ_CHECK(env.list_all_files() == files_before, "a refused log had files changed");
    start = 0;
    for (const std::string& bytes : segments) {
      auto now = env.volatile_file_content(join_path(kWalDir, wal_segment_name(start)));
      FUZZ_CHECK(now.ok() && *now == bytes, "a refused log lost data");
      start += bytes.size();
    }
    return 0;
  }
  check_recovered(env, segments, expected);
  env.crash();
  check_append_after_recovery(env, expected.records);
  return 0;
}
