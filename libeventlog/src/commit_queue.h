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
//   READY/DONE -> FREE  a new owner taking the slot (ClaimSlot, no lock held): what a dead
//                     owner left, by compare-and-swap, so that a holder's claim wins;
//   FREE -> READY     its owner, after writing its batches into the slot (no lock held);
//   READY -> CLAIMED  the LOCK holder, which then appends them, recording for each batch
//                     where its last frame goes before that frame can reach the segment;
//   CLAIMED -> DONE   the holder, after publishing (or failing), with each batch's result;
//   READY -> FREE     its owner, once it holds LOCK itself (it commits its batches then);
//   DONE -> FREE      its owner, after taking the results (no lock needed: only the owner
//                     touches a DONE slot);
//   CLAIMED -> DONE   the next LOCK holder, if the holder died before posting results:
//                     right after recovery, the recorded places say whether each batch is
//                     in the log, and nothing else has changed the log yet.
// The owner learns the outcome when its slot is DONE, or else once it holds LOCK: it tries
// the lock, and while another process holds it, sleeps until a holder announces a release.
// It believes "committed" only once the log bears it out (LogWriter::ConfirmTaken): the
// slot is memory other programs can write, and a QUEUE truncated or rewritten in use can
// hold one holder's results in another owner's slot.
// A slot belongs to the process holding the byte lock with the slot's number, and its
// batches are offered while that process also holds the byte 64 above; a READY slot whose
// owner died (its locks gone, on a crash or reboot) is never taken, so no batch is appended
// after its caller stopped waiting.
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
    uint32_t batch_count = 0;  // as the slot says (at most kMaxBatches): each gets a result
    // The copied payload that frames point into; a vector, whose buffer moves with it (a
    // string's small-buffer copy would not).
    std::vector<char> storage;
    std::vector<QueuedBatch> batches;
    Status malformed;     // not OK: nothing of the slot may be appended
  };

  // A slot CLAIMED by a holder that died (whoever holds LOG/LOCK and finds one knows its
  // claimer no longer holds the lock): where each batch was to go, to be resolved against
  // the log right after recovery, before anything else changes it.
  struct Orphan {
    uint32_t slot = 0;
    uint32_t holder_pid = 0;
    std::vector<std::optional<Placement>> placements;  // nullopt: never placed, never written
    std::vector<uint64_t> event_counts;                // 0 where the payload is malformed
    std::vector<std::string> last_bodies;              // each batch's last frame body, if known
  };

  // A batch's result as its owner reads it, with where the holder put the batch if it
  // says committed: the owner checks that against the log before it believes it.
  struct TakenResult {
    Result<AppendResult> result;
    std::optional<Placement> placement;
  };

  // Opens the queue file at `path` (no lock needed: a header byte lock orders writing a
  // new header against reading it). nullptr if the file system cannot share memory or the
  // file is not a queue of this log and version (then this process commits alone).
  // `create`: make the file if it is missing (a process about to hand over or take over);
  // otherwise a missing file gives nullptr (a lock holder only looking for orphans).
  static Result<std::unique_ptr<CommitQueue>> Open(FileSystem* fs, const std::string& path, const LogId& log_id,
                                                   bool create);
  // For a lock holder that cannot Open the queue (no permission to write it, no space to
  // extend it, a special file): whether it holds a slot CLAIMED by a holder that died,
  // which this process could not resolve, read with plain reads. False for a file that is
  // missing, not a regular file or not this log's queue: no process of the log uses it.
  static Result<bool> HoldsClaimedSlots(FileSystem* fs, const std::string& path, const LogId& log_id);
  ~CommitQueue();

  // --- The owner's side.
  // Takes a slot for this process (no lock needed). False if every slot has a live owner
  // or is being committed.
  Result<bool> ClaimSlot();
  bool has_slot() const { return slot_lock_ != nullptr; }
  // The file was truncated under its mapping (SharedRegion::CutShort): drop this queue
  // before touching it, and open the file again.
  bool cut_short() const { return region_->CutShort(); }
  // Writes `batches` into the slot and marks it READY; false (nothing offered) if they do
  // not fit or one cannot be handed over (preset offsets, no events).
  Result<bool> Offer(std::span<const Batch* const> batches);
  SlotState own_state() const;
  // -> FREE, ending the offer: READY holding LOG/LOCK (nobody took the batches), or
  // CLAIMED holding it (their outcome could not be found). TakeResults ends with it.
  void Release();
  // DONE -> FREE: each batch's result (counts from the batches offered).
  std::vector<TakenResult> TakeResults(std::span<const Batch* const> batches);

  // --- The holder's side, holding LOG/LOCK.
  // Every READY slot of a live owner other than this process's, now CLAIMED. A slot whose
  // owner cannot be checked is left alone: its owner commits it once it holds the lock.
  std::vector<QueuedRequest> Collect();
  // Every CLAIMED slot: its claimer died (this process holds LOG/LOCK and claimed nothing
  // yet). The caller resolves each batch, Posts and Finishes the slot.
  std::vector<Orphan> FindOrphans();
  void Place(uint32_t slot, size_t batch, const Placement& placement);
  // Post and Finish leave a slot alone that is no longer CLAIMED.
  void Post(uint32_t slot, size_t batch, const Result<AppendResult>& result);
  void Finish(uint32_t slot);  // CLAIMED -> DONE

  // --- Waking. An owner does not block on LOG/LOCK: flock wakes every waiter at each
  // release, and owners whose batches are DONE would each take the lock in turn only to
  // read their results. Instead they sleep on a counter that a holder bumps after it has
  // released the lock, and need the lock only if their slot is not DONE.
  uint32_t releases() const;
  // Sleeps until releases() differs from `seen`, at most `timeout_ms` (a holder that does
  // not announce: maintenance, an older evlog, or one that died).
  void WaitForRelease(uint32_t seen, int timeout_ms);
  void AnnounceRelease();  // after LOG/LOCK is released

 private:
  CommitQueue(std::unique_ptr<SharedRegion> region) : region_(std::move(region)) {}
  char* Slot(uint32_t slot) const;
  SlotState StateOf(uint32_t slot) const;
  uint32_t* ReleasesWord() const;
  uint64_t* ReadyMask() const;
  bool CompareAndSetState(uint32_t slot, SlotState from, SlotState to);
  void ClearReady(uint32_t slot);
  void SetState(uint32_t slot, SlotState state);
  Status Decode(uint32_t slot, QueuedRequest* out) const;
  static Placement PlacementAt(const char* result);

  std::unique_ptr<SharedRegion> region_;
  std::unique_ptr<FileLock> slot_lock_;   // byte `slot_`: the slot is this process's
  std::unique_ptr<FileLock> offer_lock_;  // byte kSlotCount + slot_: while offered
  uint32_t slot_ = 0;
};

}  // namespace eventlog
