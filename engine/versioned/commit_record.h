// The WAL payload of one VersionedStore commit: the batch and the LtHash checksum of the state
// after it, so catch-up can check every replayed version against what was committed.
//
// Format: [format u8 = 1][LtHash checksum: 32 bytes][op count fixed32]
//         op count x ([kind u8: 0 put, 1 delete][length-prefixed key][length-prefixed value])
// (a delete carries an empty value). Decoding rejects anything else with Corruption naming
// the WAL directory and the version.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/backends/backend.h"
#include "engine/core/status.h"

namespace tierkv::versioned {

inline constexpr uint8_t kCommitRecordType = 1;  // WalRecord::type of a commit

struct CommitRecord {
  std::string lt_hash_checksum;  // LtHash::checksum() of the state after the batch
  WriteBatch batch;
};

std::string encode_commit_record(const CommitRecord& record);
// `where` names the WAL and version for messages ("<dir>/wal version 17").
Result<CommitRecord> decode_commit_record(std::string_view payload, std::string_view where);

}  // namespace tierkv::versioned
