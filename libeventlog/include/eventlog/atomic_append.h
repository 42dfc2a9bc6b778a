// An atomic batch written to the log while it is being built, for input that is too large
// to hold and already there to read (a file): Log::BeginAtomicAppend.
//
//   auto append = log->BeginAtomicAppend();   // takes the append lock
//   for (...) append->Add({.payload = line});  // frames go to the segment as they fill
//   auto appended = append->Commit();         // durable and visible, all of it
//
// Log::Append of a Batch gives the same guarantee, but the batch reaches its segment only
// at the commit, so the device starts writing only when the input has all been read. Here
// the frames are written beyond the committed end as they fill, where no reader looks, and
// their write-back starts at once; Commit() writes the last frame, syncs and publishes.
// Until then the batch's last frame is missing, so a crash leaves an incomplete batch,
// which recovery cuts (format-spec §5.4, §8.3): all of it becomes visible, or none.
//
// The price: the append lock is held from BeginAtomicAppend() until Commit() or
// destruction, so every other appender waits for the input to be read. Use it for input
// that is there to be read, never for a producer that may pause.
#pragma once

#include <cstdint>
#include <memory>

#include "eventlog/event.h"
#include "eventlog/status.h"

namespace eventlog {

struct AppendResult;

class AtomicAppend {
 public:
  class Impl;
  explicit AtomicAppend(std::unique_ptr<Impl> impl);
  // Without a successful Commit(): nothing of the batch is appended (its frames are
  // removed, durably) and the append lock is released.
  ~AtomicAppend();
  AtomicAppend(const AtomicAppend&) = delete;
  AtomicAppend& operator=(const AtomicAppend&) = delete;

  // Adds an event, as Batch::Add: kInvalidArgument for an event larger than the log's
  // maximum or a batch that would outgrow a segment (the batch is then unchanged). Another
  // error is a failed write: the batch can then only be abandoned.
  Status Add(const EventInput& event);

  // Writes the rest, syncs (with AppendOptions::sync) and publishes: the events are
  // visible, and durable, when it returns OK. Once only. Errors as Log::Append's.
  Result<AppendResult> Commit();

  uint64_t event_count() const;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlog
