// OverlayStore: quota accounting (reserve, release, the counters) and the underflow policy.
#include <cstdio>
#include <cstdlib>

#include "engine/overlay/overlay_store.h"

namespace tierkv {

namespace layout = overlay_layout;

uint64_t OverlayStore::checked_sub(uint64_t value, uint64_t delta, const std::string& what) {
  if (delta <= value) return value - delta;
  ++underflow_count_;
  const std::string message = "overlay store: " + what +
                              " would go negative: " + std::to_string(value) + " - " +
                              std::to_string(delta) + " = -" + std::to_string(delta - value);
  if (options_.on_underflow == UnderflowPolicy::kAbort) {
    std::fprintf(stderr, "FATAL %s (on_underflow = kAbort)\n", message.c_str());
    std::abort();
  }
  std::fprintf(stderr, "ERROR %s; clamped to 0\n", message.c_str());
  return 0;
}

Task<Status> OverlayStore::reserve(uint64_t bytes) {
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  layout::MetaRecord meta = meta_;
  const uint64_t committed = meta.used_bytes + meta.reserved_bytes;
  if (committed > options_.quota_max_bytes || bytes > options_.quota_max_bytes - committed) {
    co_return Status::no_space("reserve of " + std::to_string(bytes) + " bytes exceeds the quota");
  }
  meta.reserved_bytes += bytes;
  WriteBatch batch;
  batch.put(layout::meta_key(), layout::encode_meta(meta));
  TIERKV_CO_RETURN_IF_ERROR(co_await commit_locked(std::move(batch)));
  meta_ = meta;
  co_return Status();
}

Task<Status> OverlayStore::release(uint64_t bytes) {
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  if (bytes > meta_.reserved_bytes) {
    co_return Status::invalid_argument("release of " + std::to_string(bytes) +
                                       " bytes exceeds the " +
                                       std::to_string(meta_.reserved_bytes) + " reserved bytes");
  }
  layout::MetaRecord meta = meta_;
  meta.reserved_bytes -= bytes;
  WriteBatch batch;
  batch.put(layout::meta_key(), layout::encode_meta(meta));
  TIERKV_CO_RETURN_IF_ERROR(co_await commit_locked(std::move(batch)));
  meta_ = meta;
  co_return Status();
}

QuotaUsage OverlayStore::quota() const {
  return QuotaUsage{meta_.used_bytes, meta_.reserved_bytes, meta_.block_count,
                    options_.quota_max_bytes};
}

}  // namespace tierkv
