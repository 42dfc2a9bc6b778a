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
// which recovery cuts (format-spec §5.4, §8.3): all of it becomes visible, or none. Its
// events carry one timestamp, taken when the batch began (Append takes it at the commit).
//
// The price: the append lock is held from BeginAtomicAppend() until Commit() or
// Abandon(), so every other appender waits for the input to be read. Use it for input
// that is there to be read, never for a producer that may pause. Use it from the thread
// that began it, and end it before its Log is closed.
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
  // Without a successful Commit(): Abandon().
  ~AtomicAppend();
  AtomicAppend(const AtomicAppend&) = delete;
  AtomicAppend& operator=(const AtomicAppend&) = delete;

  // Adds an event, as Batch::Add: kInvalidArgument for an event larger than the log's
  // maximum or a batch that would outgrow a segment, and the batch goes on unchanged
  // (active() stays true). Any other failure (a failed write, a full log) abandons the
  // batch, and the error says so ("not committed").
  Status Add(const EventInput& event);

  // Writes the rest, syncs (with AppendOptions::sync) and publishes: the events are
  // visible, and durable, when it returns OK. Once only. Errors as Log::Append's.
  Result<AppendResult> Commit();

  // Gives the batch up: nothing of it is appended, its frames are removed (durably), and
  // the append lock is released. An error says the removal failed: the log is then in the
  // failed state (reopen it), and the batch, never completed, is still not appended.
  // After Commit() or a failed Add(), returns how that ended.
  Status Abandon();

  // Neither committed nor abandoned yet (a failed write abandons it).
  bool active() const;
  uint64_t event_count() const;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlog
