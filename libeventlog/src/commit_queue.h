// Group commit across processes (format-spec §6.8): LOG/QUEUE, a file every appending
// process maps shared, through which a process waiting for LOG/LOCK hands its batches to
// whoever holds the lock, so that one fdatasync commits the batches of many processes.
//
// Why a hand-over and not "sync outside the lock": the holder writes, syncs and publishes
// the waiters' batches exactly as its own (format-spec §6.2), so frames above HEAD still
// exist only while a writer holds the lock, and HEAD, readers and recovery are unchanged.
// A writer that knows nothing of QUEUE (an older evlog) simply never hands over or takes
// over; it excludes and is excluded as before.
//
// A slot's life, with who moves it:
//   FREE -> READY     its owner, after writing its batches into the slot (no lock held);
//   READY -> CLAIMED  the LOCK holder, which then appends them, recording for each batch
//                     where its last frame goes before that frame can reach the segment;
//   CLAIMED -> DONE   the holder, after publishing (or failing), with each batch's result;
//   READY -> FREE     its owner, once it holds LOCK itself (it commits its batches then);
//   DONE -> FREE      its owner, holding LOCK, after taking the results;
//   CLAIMED -> FREE   its owner, holding LOCK: the holder died before posting results, and
//                     the recorded places say whether each batch is in the log.
// The owner learns the outcome only while it holds LOCK, which it takes right after offering
// its batches: the lock's own queue is the wake-up. A slot belongs to the process holding
// the byte lock with the slot's number; a READY slot whose owner died (its lock gone, on a
// crash or reboot) is never taken, so no batch is appended after its caller stopped waiting.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "eventlog/file_system.h"
#include "eventlog/log.h"
#include "batch_impl.h"
#include "format_blocks.h"

namespace eventlog {

class CommitQueue {
 public:
  enum class SlotState : uint32_t { kFree = 0, kReady = 1, kClaimed = 2, kDone = 3 };

  // Where the holder put a batch's last frame, recorded before the frame was written.
  struct Placement {
    uint64_t segment_base = 0;
    uint64_t last_frame_position = 0;
    uint64_t last_checksum = 0;
    uint64_t first_offset = 0;
  };

  // One batch taken from a slot, its frame bodies copied out of the shared file and
  // checked (a slot's bytes are only as good as the process that wrote them).
  struct QueuedBatch {
    uint32_t event_count = 0;
    uint64_t encoded_bytes = 0;  // on disk: headers, bodies, padding
    std::vector<Batch::Impl::FrameView> frames;
  };
  struct QueuedRequest {
    uint32_t slot = 0;
    std::string storage;  // the copied payload that frames point into
    std::vector<QueuedBatch> batches;
    Status malformed;     // not OK: nothing of the slot may be appended
  };

  // Opens (creating) the queue file at `path`; the caller holds LOG/LOCK, so that no two
  // processes initialise it at once. nullptr if the file system cannot share memory or the
  // file is not a queue of this log and version (then this process commits alone).
  static Result<std::unique_ptr<CommitQueue>> Open(FileSystem* fs, const std::string& path, const LogId& log_id);
  ~CommitQueue();

  // --- The owner's side.
  // Takes a free slot for this process (holding LOG/LOCK, so that no holder looks at the
  // slot while it is reset). False if every slot has a live owner.
  Result<bool> ClaimSlot();
  bool has_slot() const { return slot_lock_ != nullptr; }
  // Writes `batches` into the slot and marks it READY; false (nothing offered) if they do
  // not fit or one cannot be handed over (preset offsets, no events).
  Result<bool> Offer(std::span<const Batch* const> batches);
  SlotState own_state() const;
  // READY -> FREE, holding LOG/LOCK.
  void Withdraw();
  // DONE -> FREE, holding LOG/LOCK: each batch's result (counts from the batches offered).
  std::vector<Result<AppendResult>> TakeResults(std::span<const Batch* const> batches);
  // CLAIMED -> FREE, holding LOG/LOCK: where the dead holder meant to put each batch
  // (nullopt: it died before deciding), and its process id for messages.
  std::vector<std::optional<Placement>> TakePlacements(size_t batch_count, uint32_t* holder_pid);

  // --- The holder's side, holding LOG/LOCK.
  // Every READY slot of a live owner other than this process's, now CLAIMED. A slot whose
  // owner cannot be checked is left alone: its owner commits it once it holds the lock.
  std::vector<QueuedRequest> Collect();
  void Place(uint32_t slot, size_t batch, const Placement& placement);
  void Post(uint32_t slot, size_t batch, const Result<AppendResult>& result);
  void Finish(uint32_t slot);  // CLAIMED -> DONE

 private:
  CommitQueue(std::unique_ptr<SharedRegion> region) : region_(std::move(region)) {}
  char* Slot(uint32_t slot) const;
  SlotState StateOf(uint32_t slot) const;
  void SetState(uint32_t slot, SlotState state);
  Status Decode(uint32_t slot, QueuedRequest* out) const;

  std::unique_ptr<SharedRegion> region_;
  std::unique_ptr<FileLock> slot_lock_;
  uint32_t slot_ = 0;
};

}  // namespace eventlog
