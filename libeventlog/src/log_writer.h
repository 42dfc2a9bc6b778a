// The append path and recovery. One LogWriter per process and log; every method runs with
// the process-wide writer mutex held, and takes the cross-process flock on LOG/LOCK itself.
// Its methods live in log_writer.cc (the commit path), log_writer_queue.cc (handing a commit
// to another process's, §6.8) and log_recovery.cc (§8).
//
// The protocol (format-spec §6, §8), for a crash at any instruction:
//   1. flock LOCK; adopt HEAD (another process may have appended); if the active segment is
//      longer than HEAD's committed end, a previous holder died mid-append: recover the tail.
//   2. pwrite the batch's frames at the committed end (header last-written is not needed:
//      an unverifiable frame beyond the committed end is never visible and is cut later).
//      On failure, truncate back and sync before reporting it, or enter the failed state.
//   3. fdatasync the segment. On failure, enter the failed state: never retry and trust.
//   4. rewrite HEAD (one pwrite, not synced: it is never ahead of durable data; readers that
//      find it behind read the end from the frames while no writer holds the lock).
//      On failure, enter the failed state: the outcome is unknown.
//   5. append sparse index entries; unlock; only now report success.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "eventlog/log.h"
#include "batch_impl.h"
#include "commit_queue.h"
#include "format_blocks.h"
#include "segment_index.h"
#include "segment_scan.h"
#include "tail_scan.h"

namespace eventlog {

class LogWriter {
 public:
  explicit LogWriter(Log::Impl* log);
  ~LogWriter();

  Status Recover();

  // Runs `fn` holding the append lock, after adopting (or recovering) the committed end,
  // which it is given. For maintenance that must exclude appenders, such as compaction.
  Status RunLocked(const std::function<Status(const HeadRecord&)>& fn);

  struct Request {
    const Batch* batch;
    std::optional<uint64_t> expect_next;
  };
  // Commits each request as its own atomic batch, in order, under one lock and (with
  // `sync`) one fdatasync. Fills results[i] for each request. With `sync`, the batches of
  // other processes waiting for the lock share the fdatasync (commit_queue.h): this
  // process hands its batches to the lock's holder if there is one, and as the holder
  // commits those handed to it.
  void Commit(std::span<const Request> requests, bool sync, std::vector<Result<AppendResult>>* results);

  // An atomic batch written while it is built (AtomicAppend), holding the lock from
  // BeginStream to CommitStream or AbandonStream:
  //   BeginStream: lock, adopt the committed end, check expect_next;
  //   MakeStreamRoom: before the first frame, roll unless the batch fits the active segment:
  //     `batch_bytes` if known (the input has ended), else only into a segment without
  //     frames, so that a batch of unknown size has a whole segment's room;
  //   WriteStreamFrame: one frame of the batch beyond the committed end, where no reader
  //     looks. The caller gives the kinds: kFirst, kMiddle..., and last kLast (or kFull),
  //     so that until the last frame is written a crash leaves an incomplete batch;
  //   CommitStream: sync as begun, publish, index; on failure as AbandonStream;
  //   AbandonStream: remove what was written, durably (unless in the failed state), and
  //     say what became of the batch: `cause` with "not committed" or "outcome unknown"
  //     (as Commit's results), or OK if the caller gave up (cause OK) and the undo worked.
  Status BeginStream(bool sync, std::optional<uint64_t> expect_next, uint64_t* first_offset);
  Status MakeStreamRoom(std::optional<uint64_t> batch_bytes);
  Status WriteStreamFrame(uint8_t kind, const Batch::Impl::FrameView& frame);
  Status CommitStream();
  Status AbandonStream(const Status& cause);

 private:
  // Takes the lock (unless in the failed state) and adopts the committed end, or recovers
  // it: what every commit and RunLocked starts with.
  Result<std::unique_ptr<FileLock>> LockAndAdopt();
  // The second half of LockAndAdopt, for a caller that took the lock itself.
  Status Adopt();
  // Offers the requests to the lock's holder through QUEUE and waits for the lock. True if
  // `results` are final (the holder committed them, or died and the log tells what became
  // of them); false if this process must commit them itself, then holding `*lock` if taken.
  bool HandOver(std::span<const Request> requests, std::vector<Result<AppendResult>>* results,
                std::unique_ptr<FileLock>* lock);
  // Whether a batch a dead holder took over is in the log, right after recovery.
  Result<AppendResult> FindPlaced(const std::optional<CommitQueue::Placement>& placement, uint64_t count,
                                  std::string_view last_body, uint32_t holder_pid);
  // kNotThere: another frame is at the place (recovery cut the batch); kOtherBatch: the
  // frame recorded is there but holds other bytes; kGone: its segment was removed or
  // rewritten by maintenance (or is shorter); kError: it cannot be read.
  enum class PlacedFrame { kThere, kNotThere, kOtherBatch, kGone, kError };
  PlacedFrame ReadPlaced(const CommitQueue::Placement& placement, uint64_t count, std::string_view last_body,
                         std::string* why);
  bool EventsAreAt(uint64_t first_offset, const Batch& batch);
  // The results an owner took from its slot, each "committed" checked against the log.
  std::vector<Result<AppendResult>> ConfirmTaken(std::vector<CommitQueue::TakenResult> taken,
                                                 std::span<const Batch* const> batches);
  // Opens QUEUE: with `create`, once per process, and a failure only means this process
  // commits alone; without, whenever it is not open, and an error if QUEUE exists but
  // cannot be read (a lock holder must then not change the log).
  Status OpenQueue(bool create);
  // Opens QUEUE and takes a slot (no lock needed), unless done.
  void JoinQueue();
  // Posts the outcome of batches whose holder died (CommitQueue::FindOrphans); part of
  // adopting the log, so that no lock holder changes the log before they are resolved.
  Status ResolveOrphans();
  // Appends one batch handed over by another process, like LockedAppend; `placement` says
  // where its last frame went, known before any of its frames is written.
  Status AppendQueued(const CommitQueue::QueuedBatch& batch, int64_t timestamp, AppendResult* result,
                      CommitQueue::Placement* placement);
  Status LockedRecover();
  Status LockedRefresh();
  Status LockedAppend(const Batch& batch, int64_t timestamp, AppendResult* result);
  // Encodes one frame at the tail into buffer_, writing out full chunks.
  Status AppendFrame(uint8_t kind, const Batch::Impl::FrameView& frame, bool preset, int64_t timestamp);
  // After a failed commit: removes its frames (or not, in the failed state), resets the
  // state the next commit starts from, and says what the requests are told. may_surface:
  // the frames written may hold a complete batch, so a failure to remove them (or the
  // failed state) leaves the outcome unknown; otherwise it is "not committed".
  Status AbandonCommit(Status cause, bool may_surface);
  Status Roll(uint64_t base);
  Status OpenActive(uint64_t base);
  Status OpenHeadFile();
  Status Publish();
  // What a commit does once its frames are written: fdatasync (with `sync`), then HEAD.
  Status SyncAndPublish(bool sync);
  // Writes buffer_ at buffer_position_; start_writeback: also start its write-back to the
  // device (File::StartWriteback), for a chunk that more of a synced commit follows.
  Status WriteBuffered(bool start_writeback = false);
  // Enters the failed state after a failed fdatasync or write-back start (see SyncSegment).
  Status SyncFailed(const Status& s, std::optional<uint64_t> cut_back_to);
  // fdatasync of the active segment; on failure enters the failed state and, if given,
  // cuts back to `cut_back_to` (never below what was published).
  Status SyncSegment(std::optional<uint64_t> cut_back_to);
  Status RepairTail(const TailScan& scan);
  Status UndoUnpublished();

  Log::Impl* log_;
  std::unique_ptr<File> head_file_;
  std::unique_ptr<File> segment_;
  uint64_t segment_base_ = 0;
  ScanPosition tail_;            // the end of what this commit has written so far
  ScanPosition published_;       // the committed end, as last published in HEAD
  uint64_t published_base_ = 0;  // the segment published_ is in
  uint64_t head_sequence_ = 0;
  bool recovered_ = false;       // recovery ran in this process
  bool unsynced_ = false;        // frames published without fdatasync (sync=none)
  std::string failed_;           // non-empty: the failed state, with its cause

  bool commit_syncs_ = false;    // the commit under way ends with fdatasync
  std::string buffer_;           // frames not yet written
  uint64_t buffer_position_ = 0; // where buffer_ goes in the segment
  std::vector<IndexEntry> pending_index_;
  // During a commit: reports the requests written so far as done (a roll publishes them).
  std::function<void()> acknowledge_;

  std::unique_ptr<CommitQueue> queue_;   // null: not joined (yet), or unavailable
  bool queue_create_failed_ = false;    // this process works alone
  std::chrono::steady_clock::time_point next_slot_attempt_{};  // all 64 slots were taken
  bool defer_chunk_writes_ = false;      // AppendQueued: its placement is not recorded yet
  uint64_t last_frame_position_ = 0;     // of the frame AppendFrame encoded last

  std::unique_ptr<FileLock> stream_lock_;  // LOG/LOCK, held by a stream (BeginStream)
  int64_t stream_timestamp_ = 0;           // every event of the stream's batch has it
  bool stream_last_frame_ = false;         // the batch's last frame was encoded (it may be in the file)
};

}  // namespace eventlog
