// WAL record codec internals: a zero-copy view of a decoded record, used by recovery and scan
// so that validating a log does not copy every payload. The owning API (encode_wal_record,
// decode_wal_record) is declared in wal.h; both decoders share one implementation.
//
// Promises: decode_wal_record_view accepts exactly the bytes encode_wal_record produces; a
// record whose length field exceeds kWalPayloadBytesMax is rejected before any payload bytes
// are looked at (nothing is allocated for it).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/core/status.h"
#include "engine/wal/wal.h"

namespace tierkv {

struct WalRecordView {
  uint8_t type = 0;
  uint64_t version = 0;
  std::string_view payload;  // points into the decoded input
};

// Same contract as decode_wal_record, but record->payload is a view into *input's bytes.
Status decode_wal_record_view(std::string_view* input, WalRecordView* record);

// The group end record closing a write that began at segment offset group_start (see wal.h);
// version: the write's last record version (for dumps; recovery does not use it).
std::string encode_wal_group_end(uint64_t group_start, uint64_t version);
// True if bytes at the front of input are a whole group end record that checks out.
bool is_wal_group_end(std::string_view input);

// Bytes an encoded record with this payload size occupies.
inline uint64_t wal_record_bytes(uint64_t payload_bytes) { return kWalHeaderBytes + payload_bytes; }

}  // namespace tierkv
