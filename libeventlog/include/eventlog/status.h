// Errors as values: every fallible library call returns a Status or a Result<T>.
//
// A Status is a code plus a message that names the thing and the place, e.g.
// "segment 00000000000000004096.seg: checksum mismatch at byte 81920 (offsets 4100..4163)".
// The codes are few on purpose: callers branch on the code, people read the message.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace eventlog {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller asked for something impossible (bad option, event too large)
  kNotFound,         // a log, segment or offset that does not exist
  kCorruption,       // bytes on disk fail validation below the committed end
  kIOError,          // the operating system reported a failure (errno in the message)
  kConflict,         // an optimistic-concurrency precondition (expect-next) failed
  kFailed,           // the appender is in the failed state after an fsync or write error
  kBusy,             // the resource is in use (e.g. the log is locked by a process that is stuck)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status Failed(std::string m) { return {StatusCode::kFailed, std::move(m)}; }
  static Status Busy(std::string m) { return {StatusCode::kBusy, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes context ("segment X: ") to the message, keeping the code.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return {code_, context + ": " + message_};
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Result<T> holds either a value or a non-OK Status. Method names follow std::expected
// (C++23), which g++ 12 does not ship yet.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : storage_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(storage_).ok() && "a Result needs a value or an error");
  }

  bool has_value() const { return std::holds_alternative<T>(storage_); }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<T>(storage_); }
  const T& value() const& { return std::get<T>(storage_); }
  T&& value() && { return std::get<T>(std::move(storage_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; Status::Ok() when the result holds a value.
  Status status() const { return has_value() ? Status::Ok() : std::get<Status>(storage_); }
  const Status& error() const { return std::get<Status>(storage_); }

 private:
  std::variant<T, Status> storage_;
};

}  // namespace eventlog

// Early-return helpers; they keep call sites to one line per fallible step.
#define EVLOG_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::eventlog::Status evlog_status_ = (expr);   \
    if (!evlog_status_.ok()) return evlog_status_; \
  } while (0)

#define EVLOG_CONCAT_INNER(a, b) a##b
#define EVLOG_CONCAT(a, b) EVLOG_CONCAT_INNER(a, b)
#define EVLOG_ASSIGN_OR_RETURN(lhs, expr) \
  EVLOG_ASSIGN_OR_RETURN_IMPL(EVLOG_CONCAT(evlog_result_, __LINE__), lhs, expr)
#define EVLOG_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                                \
  if (!result.has_value()) return result.error();      \
  lhs = std::move(result).value()
