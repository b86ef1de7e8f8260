// Status and Result<T>: errors are values. No exception crosses the engine API.
//
// A Status is OK or carries a code and a message naming the file, key or version at fault.
// Result<T> is a T or a non-OK Status.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tierkv {

enum class StatusCode : uint8_t {
  kOk = 0,
  kNotFound,        // the key, file or version does not exist
  kCorruption,      // stored bytes fail a checksum or a format rule
  kIOError,         // the Env reported an I/O failure (EIO, a dead process)
  kNoSpace,         // ENOSPC
  kInvalidArgument, // the caller broke a documented rule (bad key, bad token, bad flag)
  kConflict,        // a CAS token or an atomic batch precondition did not match
  kBusy,            // a lock is held by someone else (e.g. the store's LOCK file)
  kUnavailable,     // a tier is down (backup outage); retrying later may succeed
  kAborted,         // the operation was superseded or cancelled (e.g. a stale write)
  kNotSupported,    // the store or tier does not offer this capability
  kRetryExhausted,  // a bounded retry loop gave up
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status ok_status() { return Status(); }
  static Status not_found(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status io_error(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status no_space(std::string msg) { return {StatusCode::kNoSpace, std::move(msg)}; }
  static Status invalid_argument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status conflict(std::string msg) { return {StatusCode::kConflict, std::move(msg)}; }
  static Status busy(std::string msg) { return {StatusCode::kBusy, std::move(msg)}; }
  static Status unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status aborted(std::string msg) { return {StatusCode::kAborted, std::move(msg)}; }
  static Status not_supported(std::string msg) {
    return {StatusCode::kNotSupported, std::move(msg)};
  }
  static Status retry_exhausted(std::string msg) {
    return {StatusCode::kRetryExhausted, std::move(msg)};
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool is_not_found() const { return code_ == StatusCode::kNotFound; }
  bool is_corruption() const { return code_ == StatusCode::kCorruption; }
  bool is_io_error() const { return code_ == StatusCode::kIOError; }
  bool is_no_space() const { return code_ == StatusCode::kNoSpace; }
  bool is_invalid_argument() const { return code_ == StatusCode::kInvalidArgument; }
  bool is_conflict() const { return code_ == StatusCode::kConflict; }
  bool is_busy() const { return code_ == StatusCode::kBusy; }
  bool is_unavailable() const { return code_ == StatusCode::kUnavailable; }
  bool is_aborted() const { return code_ == StatusCode::kAborted; }
  bool is_not_supported() const { return code_ == StatusCode::kNotSupported; }

  // "<CodeName>: <message>", or "OK".
  std::string to_string() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status with_context(std::string_view context) const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {
    assert(code_ != StatusCode::kOk);
  }
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A T, or a non-OK Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "Result built from an OK Status carries no value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace tierkv

#define TIERKV_CONCAT_INNER(a, b) a##b
#define TIERKV_CONCAT(a, b) TIERKV_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function if it is not OK.
#define TIERKV_RETURN_IF_ERROR(expr)           \
  do {                                         \
    ::tierkv::Status _tierkv_s = (expr);       \
    if (!_tierkv_s.ok()) return _tierkv_s;     \
  } while (0)

// Same, from a coroutine.
#define TIERKV_CO_RETURN_IF_ERROR(expr)        \
  do {                                         \
    ::tierkv::Status _tierkv_s = (expr);       \
    if (!_tierkv_s.ok()) co_return _tierkv_s;  \
  } while (0)

// `lhs = value of expr` or return its Status. lhs may declare a variable: `auto x`.
#define TIERKV_ASSIGN_OR_RETURN(lhs, expr)                                  \
  auto TIERKV_CONCAT(_tierkv_r_, __LINE__) = (expr);                        \
  if (!TIERKV_CONCAT(_tierkv_r_, __LINE__).ok())                            \
    return TIERKV_CONCAT(_tierkv_r_, __LINE__).status();                    \
  lhs = std::move(TIERKV_CONCAT(_tierkv_r_, __LINE__)).value()

#define TIERKV_CO_ASSIGN_OR_RETURN(lhs, expr)                               \
  auto TIERKV_CONCAT(_tierkv_r_, __LINE__) = (expr);                        \
  if (!TIERKV_CONCAT(_tierkv_r_, __LINE__).ok())                            \
    co_return TIERKV_CONCAT(_tierkv_r_, __LINE__).status();                 \
  lhs = std::move(TIERKV_CONCAT(_tierkv_r_, __LINE__)).value()
