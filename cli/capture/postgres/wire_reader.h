// Bounds-checked reading of PostgreSQL's wire encoding: big-endian integers, NUL-terminated
// strings and counted byte runs, from bytes the network handed us and we do not trust.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "eventlog/status.h"

namespace evlog::pg {

// The first failed read records an error naming the message, the field and the byte offset;
// every later read returns zero or empty without touching the bytes, so a decoder reads a
// whole message straight through and checks status() once before using what it read. A count
// read from the bytes is only trusted after Fits() says the bytes could hold that many items.
class WireReader {
 public:
  // `what` names the message in errors ("pgoutput Insert"); both views must outlive the reader.
  WireReader(std::string_view bytes, std::string_view what) : bytes_(bytes), what_(what) {}

  uint8_t U8(std::string_view field);
  int16_t I16(std::string_view field);
  uint32_t U32(std::string_view field);
  int32_t I32(std::string_view field);
  uint64_t U64(std::string_view field);
  int64_t I64(std::string_view field) { return static_cast<int64_t>(U64(field)); }
  // A NUL-terminated string; an error if no NUL comes before the end.
  std::string CString(std::string_view field);
  // `length` bytes as a view into the input (valid as long as the input is).
  std::string_view Bytes(size_t length, std::string_view field);
  // The rest of the input, as a view into it.
  std::string_view Rest();

  // Whether `count` items of at least `min_item_bytes` each could still follow; records an
  // error naming `field` if not. Call before looping or reserving on a count from the wire.
  bool Fits(int64_t count, size_t min_item_bytes, std::string_view field);
  // Records an error unless every byte was read: trailing bytes mean we misread the message.
  void ExpectEnd();
  // Records a caller-detected error (an unknown tag, a negative length) at the current offset.
  void Fail(std::string_view why);

  bool ok() const { return status_.ok(); }
  const eventlog::Status& status() const { return status_; }
  size_t offset() const { return offset_; }

 private:
  bool Need(size_t n, std::string_view field);

  std::string_view bytes_;
  std::string_view what_;
  size_t offset_ = 0;
  eventlog::Status status_;
};

}  // namespace evlog::pg
