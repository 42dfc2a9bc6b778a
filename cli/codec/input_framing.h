// Splitting the append input stream into records: by newline (the default), by NUL (-0),
// or not at all (--raw: all of the input is one record).
//
// Input is read in large chunks into one buffer and records are found with memchr; a record
// is a view into that buffer, so splitting allocates nothing per record. Memory stays
// bounded: a record longer than max_record_bytes is not kept but counted and skipped, and
// handed out with too_large set so the caller can report its size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "eventlog/status.h"

namespace evlog {

enum class Framing { kLine, kNul, kRaw };

struct InputRecord {
  std::string_view bytes;  // without the delimiter; empty if too_large
  uint64_t size = 0;       // the record's full length, also when too_large
  bool too_large = false;
};

class RecordSplitter {
 public:
  static constexpr size_t kReadChunk = 1 << 20;

  RecordSplitter(int fd, Framing framing, size_t max_record_bytes);
  RecordSplitter(const RecordSplitter&) = delete;
  RecordSplitter& operator=(const RecordSplitter&) = delete;

  // Hands out the next complete record from what is buffered, without reading. At end of
  // input an unterminated last line is still a record (an empty remainder is not, except
  // in raw mode, where the input is always exactly one record, possibly empty).
  // The view stays valid until the next call to Fill().
  bool NextBuffered(InputRecord* record);

  // Blocks until more input arrives or the input ends. The IOError names the errno.
  eventlog::Status Fill();

  // True once the input has ended and every record has been handed out.
  bool done() const { return done_; }

  // True if Fill() would return without blocking: data or end of input is pending. Lets the
  // appender commit what it has whenever the producer pauses.
  bool InputPending() const;

 private:
  bool TakeRecord(size_t end, size_t next_begin, InputRecord* record);
  bool TakeLastRecord(InputRecord* record);

  int fd_;
  Framing framing_;
  size_t max_record_bytes_;
  std::unique_ptr<char[]> data_;
  size_t capacity_;
  size_t begin_ = 0;      // start of the record being assembled
  size_t scanned_ = 0;    // [begin_, scanned_) is known to hold no delimiter
  size_t end_ = 0;        // end of buffered input
  uint64_t skipped_ = 0;  // bytes of an oversized record already dropped
  bool skipping_ = false;
  bool eof_ = false;
  bool done_ = false;
};

}  // namespace evlog
