// A batch: the unit of atomicity. Events added to one batch become visible together or not
// at all. Memory stays bounded however large the batch grows: past a threshold the encoded
// frames spill to an unlinked temporary file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "eventlog/event.h"
#include "eventlog/status.h"

namespace eventlog {

class Batch {
 public:
  // Use Log::NewBatch(), which supplies the log's limits. `frame_body_bytes` is where the
  // batch starts a new frame (a writer policy, not a format rule; tests make it small).
  Batch(uint64_t max_event_bytes, uint64_t max_batch_bytes, std::string spill_dir,
        uint64_t frame_body_bytes = kDefaultFrameBodyBytes);
  static constexpr uint64_t kDefaultFrameBodyBytes = 256 * 1024;
  ~Batch();
  Batch(Batch&&) noexcept;
  Batch& operator=(Batch&&) noexcept;

  // Copies the event into the batch. kInvalidArgument if the event is larger than the
  // log's maximum event size or the batch would exceed a segment; the batch is unchanged.
  Status Add(const EventInput& event);

  // Copies an event whose offset and timestamp are preset by the caller (import, migration)
  // instead of assigned by Log::Append. Within a batch offsets must strictly increase (gaps
  // are allowed; a gap lies inside a frame, since format-spec §5.6 check 13 lets a new frame
  // start only at the previous offset + 1) and timestamps must not decrease. Append then
  // refuses the batch with kInvalidArgument unless its first offset is the log's next offset
  // and its first timestamp is not below the log's last timestamp. A batch holds either
  // Add() or AddAt() events, never both. kInvalidArgument for an offset or timestamp out of
  // order, an offset above 2^64 - 2, or the limits of Add(); the batch is then unchanged.
  Status AddAt(const EventInput& event, uint64_t offset, int64_t timestamp_ns);

  // Lets this preset batch start above the log's next offset, as a log rebuilt from a
  // key-compacted source must where no event continues the previous one: Append then
  // closes the active segment and starts the batch in a new segment based at its first
  // offset, which leaves the gap at the end of a closed segment, the state key compaction
  // leaves (format-spec §4.3, §6.2). Only for a log no other process appends to (import
  // builds its log in a private directory): a process that dies between creating that
  // segment and publishing HEAD leaves a segment above the committed end that a concurrent
  // appender would not notice. The log must already hold a frame. Clear() keeps the setting.
  void AllowLeadingGap() { allow_leading_gap_ = true; }
  bool allows_leading_gap() const { return allow_leading_gap_; }

  // The size of `event` as Add() and AddAt() compare it with the log's maximum event size
  // (its record, encoded, with the offset and timestamp deltas of a frame's first event):
  // for a caller that must know whether an event fits before it builds a batch.
  static uint64_t EventBytes(const EventInput& event);

  uint64_t event_count() const;
  uint64_t encoded_bytes() const;  // bytes the batch occupies in a segment
  bool empty() const { return event_count() == 0; }
  void Clear();

  class Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
  bool allow_leading_gap_ = false;
};

}  // namespace eventlog
