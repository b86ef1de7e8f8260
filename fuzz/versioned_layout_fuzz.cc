// Fuzz target: the VersionedStore's small checksummed files (engine/versioned/
// versioned_layout.h): SNAPSHOT_BASE / current (BaseRecord), ROLLBACK (RollbackIntent) and
// snapshot directory names.
//
// Oracle: arbitrary bytes either decode or are Corruption naming the file; whatever decodes is
// canonical (re-encoding gives back the same bytes, so no two byte strings mean one record and
// no damaged file passes for another record); a record built by the encoder decodes to itself,
// and with one bit flipped it is refused (the checksum catches every single-bit error); a
// truncated file is refused; parse_snapshot_name accepts exactly snapshot_name's output.
// The same bytes also go through read_base_record on a SimEnv file.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/io/env_util.h"
#include "engine/versioned/versioned_layout.h"
#include "fuzz/fuzz_check.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/trace.h"

namespace tierkv {
namespace {

using namespace versioned;
constexpr char kPath[] = "/store/SNAPSHOT_BASE";

void check_refused(const Status& s, const std::string& what) {
  FUZZ_CHECK(s.is_corruption(), what + ": expected Corruption, got " + s.to_string());
  FUZZ_CHECK(s.message().find(kPath) != std::string::npos, what + ": message does not name " +
                                                               std::string(kPath));
}

void check_arbitrary(const std::string& bytes) {
  auto base = decode_base_record(bytes, kPath);
  if (base.ok()) {
    FUZZ_CHECK(encode_base_record(*base) == bytes, "a decoded BaseRecord is not canonical");
  } else {
    check_refused(base.status(), "arbitrary SNAPSHOT_BASE");
  }
  auto intent = decode_rollback_intent(bytes, kPath);
  if (intent.ok()) {
    FUZZ_CHECK(encode_rollback_intent(*intent) == bytes, "a decoded intent is not canonical");
  } else {
    check_refused(intent.status(), "arbitrary ROLLBACK");
  }
  if (auto version = parse_snapshot_name(bytes)) {
    FUZZ_CHECK(snapshot_name(*version) == bytes, "snapshot name '" + bytes + "' not canonical");
  }
}

LtHash make_lt_hash(FuzzedDataProvider& fdp) {
  std::string lanes = fdp.ConsumeBytesAsString(LtHash::kSerializedBytes);
  lanes.resize(LtHash::kSerializedBytes, '\0');
  auto hash = LtHash::deserialize(lanes, "fuzz lanes");
  FUZZ_CHECK(hash.ok(), "LtHash::deserialize of a full-size lane image");
  return *hash;
}

// A well-formed encoding must decode to itself; damaged copies must be refused.
template <typename T, typename Encode, typename Decode>
void check_encoded(FuzzedDataProvider& fdp, const T& value, Encode encode, Decode decode,
                   const std::string& what) {
  const std::string bytes = encode(value);
  auto decoded = decode(bytes, kPath);
  FUZZ_CHECK(decoded.ok() && *decoded == value, what + " round trip: " +
                                                    decoded.status().to_string());
  std::string flipped = bytes;
  const size_t at = fdp.ConsumeIntegralInRange<size_t>(0, bytes.size() - 1);
  flipped[at] = static_cast<char>(flipped[at] ^ (1 << fdp.ConsumeIntegralInRange(0, 7)));
  check_refused(decode(flipped, kPath).status(), what + " with a flipped bit");
  const size_t cut = fdp.ConsumeIntegralInRange<size_t>(0, bytes.size() - 1);
  check_refused(decode(bytes.substr(0, cut), kPath).status(), what + " cut short");
}

void check_structured(FuzzedDataProvider& fdp) {
  const uint64_t version = fdp.ConsumeIntegral<uint64_t>();
  BaseRecord base{snapshot_name(version), version, make_lt_hash(fdp)};
  check_encoded(fdp, base, encode_base_record, decode_base_record, "BaseRecord");
  FUZZ_CHECK(parse_snapshot_name(base.snapshot) == version, "snapshot name round trip");
  const uint64_t base_version = fdp.ConsumeIntegralInRange<uint64_t>(0, version);
  RollbackIntent intent{version, snapshot_name(base_version), base_version};
  check_encoded(fdp, intent, encode_rollback_intent, decode_rollback_intent, "RollbackIntent");
}

void check_read_from_file(const std::string& bytes) {
  sim::Prng prng(1);
  sim::TraceHash trace;
  sim::SimEnv env(prng, trace);
  FUZZ_CHECK(create_dirs_durably(env, "/store").ok(), "mkdir");
  FUZZ_CHECK(write_file_atomically(env, kPath, bytes).ok(), "write");
  auto from_file = read_base_record(env, kPath);
  auto from_bytes = decode_base_record(bytes, kPath);
  FUZZ_CHECK(from_file.ok() == from_bytes.ok(), "read_base_record disagrees with decode");
  if (from_file.ok()) FUZZ_CHECK(*from_file == *from_bytes, "read_base_record value");
}

}  // namespace
}  // namespace tierkv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tierkv;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  check_arbitrary(bytes);
  check_read_from_file(bytes);
  FuzzedDataProvider fdp(data, size);
  check_structured(fdp);
  return 0;
}
