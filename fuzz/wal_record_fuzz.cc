// Fuzz target: the WAL record decoder on arbitrary bytes.
//
// Oracle: decoding never crashes or over-reads (ASan); a record is accepted only if re-encoding
// it gives back exactly the bytes consumed (so a damaged record is never taken for a different
// valid one); the owning decoder and the zero-copy view decoder agree on every input; decoding
// stops at the first error and an error is Corruption (NotFound only on empty input).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/wal/record_codec.h"
#include "engine/wal/wal.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tierkv;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view view_input = input;
  while (true) {
    const std::string_view before = input;
    WalRecord record;
    WalRecordView view;
    const Status s = decode_wal_record(&input, &record);
    const Status view_status = decode_wal_record_view(&view_input, &view);
    FUZZ_CHECK(s.code() == view_status.code(), s.to_string() + " vs " + view_status.to_string());
    if (s.is_not_found()) {
      FUZZ_CHECK(before.empty(), "NotFound on " + std::to_string(before.size()) + " bytes");
      break;
    }
    if (!s.ok()) {
      FUZZ_CHECK(s.is_corruption(), s.to_string());
      FUZZ_CHECK(!before.empty(), "an error on empty input: " + s.to_string());
      break;
    }
    const size_t used = before.size() - input.size();
    FUZZ_CHECK(used == wal_record_bytes(record.payload.size()), "consumed size");
    FUZZ_CHECK(encode_wal_record(record) == before.substr(0, used), "re-encoding differs");
    FUZZ_CHECK(view.type == record.type && view.version == record.version &&
                   view.payload == record.payload,
               "view decoder disagrees");
    FUZZ_CHECK(view_input.size() == input.size(), "view decoder consumed a different size");
  }
  return 0;
}
