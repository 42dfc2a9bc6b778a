// Reading a log: a cursor over committed events, read from the segments with pread into a
// buffer that stays in the CPU cache while its frames are verified and decoded (events are
// views into it, not copies).
#pragma once

#include <cstdint>
#include <memory>

#include "eventlog/event.h"
#include "eventlog/status.h"

namespace eventlog {

class Reader {
 public:
  virtual ~Reader() = default;

  // Positions the cursor at `offset`, or at the oldest stored event if `offset` is older.
  // Reading starts at or before the frame holding the event before `offset` (its events
  // are not returned), so that a frame whose first event is `offset` is checked against its
  // predecessor, as a reader coming from the log's start would check it.
  virtual Status SeekToOffset(uint64_t offset) = 0;
  // Positions the cursor at the first event whose timestamp is >= `timestamp_ns`
  // (uses the sparse time index, format-spec §7).
  virtual Status SeekToTime(int64_t timestamp_ns) = 0;

  // Reads the next committed event into *event. Returns false at the committed end (more
  // may arrive later: see WaitForAppend). The views in *event are valid until the next
  // call on this reader. Every frame's checksum is verified before its events are returned;
  // a mismatch is kCorruption naming the segment, byte position and offsets.
  virtual Result<bool> Next(Event* event) = 0;

  // The offset the next call to Next() will return (or wait for).
  virtual uint64_t position() const = 0;

  // True when the event Next() returned last is the last of its unit (format-spec §5.4):
  // the batch it was appended in, with any committed in the same frames. A batch never
  // spans such a boundary, so a consumer that ends its own transactions only there never
  // splits one (apply keeps a source transaction, captured as one batch, whole).
  virtual bool at_unit_end() const = 0;

  // The base offset (the file name) of the segment the reader is in, UINT64_MAX before it
  // opened one. A jump in offsets inside one segment is key compaction's doing; only where
  // this changes can whole segments have been removed (retention) under the reader: a
  // caller that reports removed events asks the log about those jumps only.
  virtual uint64_t segment_base() const = 0;

  // Blocks until the log's committed end moves or `timeout_ms` elapses (-1: forever),
  // without busy polling. Spurious returns are possible; call Next() again.
  virtual Status WaitForAppend(int timeout_ms) = 0;
};

}  // namespace eventlog
