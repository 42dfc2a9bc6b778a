// LogWriter's half of group commit across processes (format-spec §6.8): joining QUEUE,
// handing a commit over to the process that holds LOG/LOCK and waiting for its result, and,
// for that holder, resolving the slots of holders that died. The single-process commit
// path, which the holder runs for everything it took, is in log_writer.cc.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "coding.h"
#include "format.h"
#include "frame.h"
#include "log_impl.h"
#include "log_writer.h"
#include "reader_impl.h"
#include "segment.h"

namespace eventlog {

namespace f = format::frame;

Status LogWriter::OpenQueue(bool create) {
  // Without `create` it looks every time (one stat): QUEUE may have appeared since, with
  // orphans this lock holder must resolve before it changes the log.
  // A QUEUE truncated by another program since it was mapped would kill this process with
  // SIGBUS at the next touch: drop it, and this process's slot with it (an owner that was
  // waiting in it learns that from HandOver), and open the file again, which extends it. A
  // truncation from here on still stops the process.
  if (queue_ && queue_->cut_short()) queue_.reset();
  if (queue_ || (create && queue_create_failed_)) return Status::Ok();
  const std::string path = log_->Path(format::kQueueFileName);
  auto queue = CommitQueue::Open(log_->fs(), path, log_->meta().log_id, create);
  if (queue && *queue) {
    queue_ = std::move(queue).value();
    return Status::Ok();
  }
  // A process that is to hand over works alone instead (and stops trying); a queue of
  // another log or version holds nothing this one could resolve.
  if (create) queue_create_failed_ = true;
  if (create || queue) return Status::Ok();
  // A lock holder that cannot use QUEUE (it may not write it, say) must still not change
  // the log while it holds a dead holder's batches that it could not resolve.
  Result<bool> claimed = CommitQueue::HoldsClaimedSlots(log_->fs(), path, log_->meta().log_id);
  if (claimed && !*claimed) return Status::Ok();
  return (claimed ? queue.error() : claimed.error())
      .WithContext(fmt::format(
          "{} holds, or may hold, batches whose committing process died, and this process cannot open it to "
          "resolve them; nothing was changed. Append as a user who can write it, or once no process appends, "
          "remove it (it means nothing then)",
          path));
}

void LogWriter::JoinQueue() {
  (void)OpenQueue(/*create=*/true);
  // Without a slot (64 processes have one) this process still commits for others; it only
  // does not hand over. It looks for a free one again at most once a second.
  if (!queue_ || queue_->has_slot()) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_slot_attempt_) return;
  Result<bool> claimed = queue_->ClaimSlot();
  if (!claimed || !*claimed) next_slot_attempt_ = now + std::chrono::seconds(1);
}

// Holding LOG/LOCK, right after recovery: a CLAIMED slot's claimer held the lock while it
// was CLAIMED, so it died. Nothing has changed the log since recovery kept or cut what it
// wrote, so the recorded placements tell exactly which of its batches are in.
Status LogWriter::ResolveOrphans() {
  EVLOG_RETURN_IF_ERROR(OpenQueue(/*create=*/false));
  if (!queue_) return Status::Ok();
  for (const CommitQueue::Orphan& orphan : queue_->FindOrphans()) {
    for (size_t i = 0; i < orphan.placements.size(); ++i) {
      queue_->Post(orphan.slot, i,
                   FindPlaced(orphan.placements[i], orphan.event_counts[i], orphan.last_bodies[i], orphan.holder_pid));
    }
    queue_->Finish(orphan.slot);
  }
  return Status::Ok();
}

bool LogWriter::HandOver(std::span<const Request> requests, std::vector<Result<AppendResult>>* results,
                         std::unique_ptr<FileLock>* lock) {
  // A bounded wait for the lock could not be kept: once offered, the batches' fate is
  // known only to whoever holds the lock next, so the owner must wait for it.
  if (!failed_.empty() || log_->lock_wait_bounded()) return false;
  std::vector<const Batch*> batches;
  for (const Request& r : requests) {
    if (r.expect_next) return false;  // checked against the end the holder sees: take the lock
    batches.push_back(r.batch);
  }
  // A free lock needs no hand-over.
  const std::string lock_path = log_->Path(format::kLockFileName);
  Result<std::unique_ptr<FileLock>> free_lock = log_->fs()->TryLock(lock_path);
  if (!free_lock || *free_lock) {
    if (free_lock) *lock = std::move(free_lock).value();
    return false;
  }
  // Contended: join the queue now (a process that appends once, like `evlog append` in a
  // shell loop, hands over on its first commit).
  JoinQueue();
  if (!queue_ || !queue_->has_slot()) return false;
  Result<bool> offered = queue_->Offer(batches);
  if (!offered || !*offered) return false;
  auto unknown = [&](const Status& cause) {
    // kFailed: the batches may be in the log or not (format-spec §6.8, code 6).
    results->assign(requests.size(), Status::Failed(fmt::format("{}; outcome unknown", cause.message())));
    return true;
  };
  const auto start = std::chrono::steady_clock::now();
  auto claimed_since = start;
  bool noticed = false;
  bool try_lock = true;
  while (true) {
    // The counter before the state: a holder sets DONE before it announces, so either
    // the state read below is DONE or the announcement wakes the wait below.
    const uint32_t seen = queue_->releases();
    const CommitQueue::SlotState state = queue_->own_state();
    if (state == CommitQueue::SlotState::kDone) {
      *results = ConfirmTaken(queue_->TakeResults(batches), batches);
      return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (state != CommitQueue::SlotState::kClaimed) claimed_since = now;
    // Holders that do not announce (maintenance, streams, writers without QUEUE) hand the
    // lock straight to the processes blocked on it: after a while, block too, lest polling
    // lose every race. The state is checked again once the lock is held.
    if (state == CommitQueue::SlotState::kReady && now - start > std::chrono::milliseconds(100)) {
      Result<std::unique_ptr<FileLock>> acquired = log_->AcquireLock();
      if (!acquired) {
        queue_.reset();
        return unknown(acquired.status());
      }
      *lock = std::move(acquired).value();
      break;
    }
    // While CLAIMED, the holder has the lock and will announce; only a wait that ended
    // without an announcement, or a claim that lasts (the holder may have died while
    // others keep announcing), needs to try it.
    if (try_lock || state == CommitQueue::SlotState::kReady || now - claimed_since > std::chrono::milliseconds(10)) {
      Result<std::unique_ptr<FileLock>> tried = log_->fs()->TryLock(lock_path);
      if (!tried) {
        // A holder may take the batches any time from now; give the slot up so that none
        // takes them later, but one may have already.
        queue_.reset();
        return unknown(tried.status());
      }
      if (*tried) {
        *lock = std::move(tried).value();
        break;
      }
    }
    if (!noticed && now - start >= std::chrono::seconds(1)) {
      log_->NoticeLockWait();
      noticed = true;
    }
    // Holders that commit announce their release; the timeout covers those that do not
    // (maintenance, an older evlog, a holder that died).
    queue_->WaitForRelease(seen, now - start < std::chrono::milliseconds(100) ? 2 : 20);
    try_lock = queue_->releases() == seen;
  }
  if (queue_->own_state() == CommitQueue::SlotState::kReady) {
    queue_->Release();  // nobody took them: commit them here, with whatever else waits
    return false;
  }
  // DONE, or CLAIMED by a holder that died: adopting the log resolves that (ResolveOrphans).
  Status adopted = queue_->own_state() == CommitQueue::SlotState::kDone ? Status::Ok() : Adopt();
  // Adopt found QUEUE cut short and dropped it, this process's slot with it; it may have
  // opened the file again, as a queue in which this process has no slot (own_state() and
  // Release() would then act on another process's slot).
  if (!queue_ || !queue_->has_slot()) {
    unknown(Status::Failed(fmt::format("{} was cut short by another program while these batches waited in it",
                                       log_->Path(format::kQueueFileName))));
    lock->reset();
    if (queue_) queue_->AnnounceRelease();
    return true;
  }
  if (adopted.ok() && queue_->own_state() == CommitQueue::SlotState::kDone) {
    *results = ConfirmTaken(queue_->TakeResults(batches), batches);
  } else {
    if (!adopted.ok()) {
      unknown(adopted);
    } else if (queue_->own_state() == CommitQueue::SlotState::kFree) {
      // Only the owner frees its slot: another program reset it, perhaps after a holder
      // had taken the batches.
      unknown(Status::Failed(fmt::format(
          "the slot holding these batches in {} was reset by another program while they waited",
          log_->Path(format::kQueueFileName))));
    } else {
      unknown(Status::Failed("the process committing these batches died and they could not be checked"));
    }
    // Still holding the lock, so no other process is resolving the slot: free it for the
    // next offer, which must not find it CLAIMED.
    queue_->Release();
  }
  lock->reset();
  queue_->AnnounceRelease();
  return true;
}

// What the log holds where a holder recorded a batch's last frame: that frame, with the
// recorded checksum (over the chain before it), ending at first_offset + count, and with
// `last_body`, the batch's own last frame body, as its body: the checksum says the holder's
// batch is there, the body that it is the owner's.
LogWriter::PlacedFrame LogWriter::ReadPlaced(const CommitQueue::Placement& p, uint64_t count,
                                             std::string_view last_body, std::string* why) {
  const std::string segment = SegmentFileName(p.segment_base);
  auto file = log_->fs()->Open(log_->Path(segment), OpenMode::kReadOnly);
  if (!file) {
    *why = fmt::format("segment {} cannot be opened ({})", segment, file.error().message());
    return file.error().code() == StatusCode::kNotFound ? PlacedFrame::kGone : PlacedFrame::kError;
  }
  char segment_header[format::segment::kHeaderSize];
  Result<size_t> read = (*file)->Read(0, segment_header);
  if (!read || *read != sizeof segment_header) {
    *why = fmt::format("reading segment {} failed ({})", segment, read ? "short read" : read.error().message());
    return read ? PlacedFrame::kGone : PlacedFrame::kError;
  }
  // A segment rewritten by key compaction (chain_out set, format-spec §4.1) no longer has
  // the frames at the places recorded.
  if (GetFixed64(segment_header + format::segment::kChainOutAt) != 0) {
    *why = fmt::format("segment {} was rewritten by key compaction since", segment);
    return PlacedFrame::kGone;
  }
  char header[f::kHeaderSize];
  std::string body(last_body.size(), '\0');
  bool whole = false;
  read = (*file)->Read(p.last_frame_position, header);
  if (read && *read == sizeof header) {
    read = (*file)->Read(p.last_frame_position + f::kHeaderSize, body);
    whole = read && *read == body.size();
  }
  if (!read) {
    *why = fmt::format("reading segment {} failed ({})", segment, read.error().message());
    return PlacedFrame::kError;
  }
  if (!whole) {
    *why = fmt::format("segment {} ends before the place recorded", segment);
    return PlacedFrame::kGone;
  }
  const uint64_t next_offset =
      GetFixed64(header + f::kBaseOffsetAt) + uint64_t{GetFixed32(header + f::kLastDeltaAt)} + 1;
  if (GetFixed64(header + f::kChecksumAt) != p.last_checksum || next_offset != p.first_offset + count) {
    return PlacedFrame::kNotThere;
  }
  if (GetFixed32(header + f::kLengthAt) != f::kHeaderSize + last_body.size() || body != last_body) {
    *why = fmt::format("the frame recorded at {} of segment {} holds another batch", p.last_frame_position, segment);
    return PlacedFrame::kOtherBatch;
  }
  return PlacedFrame::kThere;
}

// Whether the log holds `batch`'s events at first_offset and on, as a reader sees them:
// the owner's check when the frame cannot be read where it was recorded, because
// maintenance rewrote or removed its segment after the holder published it.
bool LogWriter::EventsAreAt(uint64_t first_offset, const Batch& batch) {
  auto reader = NewReaderImpl(log_);
  if (!reader || !(*reader)->SeekToOffset(first_offset).ok()) return false;
  uint64_t offset = first_offset;
  bool same = true;
  Status decoded = batch.impl().ForEachFrame([&](const Batch::Impl::FrameView& frame) {
    const char* p = frame.body.data();
    const char* end = p + frame.body.size();
    EventRecord record;
    std::vector<HeaderView> headers;
    Event event;
    while (same && p < end) {
      auto more = (*reader)->Next(&event);
      same = DecodeEventRecord(&p, end, &record, &headers) && more && *more && event.offset == offset++ &&
             event.key == record.key && event.payload == record.payload &&
             std::equal(event.headers.begin(), event.headers.end(), headers.begin(), headers.end(),
                        [](const HeaderView& a, const HeaderView& b) { return a.name == b.name && a.value == b.value; });
    }
    return Status::Ok();
  });
  return decoded.ok() && same && offset == first_offset + batch.impl().event_count();
}

Result<AppendResult> LogWriter::FindPlaced(const std::optional<CommitQueue::Placement>& placement, uint64_t count,
                                           std::string_view last_body, uint32_t holder_pid) {
  const std::string not_committed = fmt::format(
      "not committed: process {}, which had taken this batch over to commit it with its own, died first; "
      "nothing of it is in the log, so it can be appended again",
      holder_pid);
  auto unknown = [&](std::string_view why) {
    return Status::Failed(fmt::format(
        "process {}, which was committing this batch, died, and {}; whether the batch is in the log is unknown",
        holder_pid, why));
  };
  if (count == 0) return unknown("the batch handed over cannot be read back");
  if (!placement) return Status::Busy(not_committed);  // placed before written: never written
  const CommitQueue::Placement& p = *placement;
  const bool below_end = p.segment_base < segment_base_ ||
                         (p.segment_base == segment_base_ && p.last_frame_position <= published_.position - f::kHeaderSize);
  if (!below_end) return Status::Busy(not_committed);
  // Below the committed end is what recovery kept and synced, or what the holder published
  // (and nothing was written since): the batch is there iff its last frame is.
  std::string why;
  switch (ReadPlaced(p, count, last_body, &why)) {
    case PlacedFrame::kThere: return AppendResult{p.first_offset, count};
    case PlacedFrame::kNotThere: return Status::Busy(not_committed);
    case PlacedFrame::kOtherBatch:  // the slot does not describe what its holder appended
    case PlacedFrame::kGone:
    case PlacedFrame::kError: break;
  }
  return unknown(why);
}

// The owner's check of the results it took, without LOG/LOCK: a batch said to be committed
// is believed only if its last frame is below HEAD's committed end, where the holder said,
// with this batch's own bytes. A slot is shared memory any process of the log's users can
// write, and one changed under the protocol (QUEUE truncated or rewritten while in use) can
// carry a stale holder's results for another owner's batch: acknowledging those would lose
// this batch. A result the log does not bear out is reported as unknown (kFailed).
std::vector<Result<AppendResult>> LogWriter::ConfirmTaken(std::vector<CommitQueue::TakenResult> taken,
                                                          std::span<const Batch* const> batches) {
  std::vector<Result<AppendResult>> results;
  std::optional<HeadRecord> head;
  for (size_t i = 0; i < taken.size(); ++i) {
    Result<AppendResult>& result = taken[i].result;
    if (!result) {
      results.push_back(std::move(result));
      continue;
    }
    auto unknown = [&](std::string_view why) {
      return Status::Failed(fmt::format(
          "the process that committed this batch for this one reported it committed at offset {}, but {}, so "
          "that the log cannot confirm it; whether it is in the log is unknown",
          result->first_offset, why));
    };
    if (!taken[i].placement) {
      results.push_back(unknown("it did not record where"));
      continue;
    }
    const CommitQueue::Placement& p = *taken[i].placement;
    // HEAD as published, read without the lock through the readers' handle: a read that
    // overlaps its rewrite fails its checksum and is read again (head.h).
    for (int attempt = 0; !head && attempt < 10; ++attempt) {
      Result<std::optional<HeadRecord>> read = log_->PublishedHead();
      if (!read) break;
      head = *read;
    }
    if (!head) {
      results.push_back(unknown("HEAD cannot be read to check it"));
      continue;
    }
    const bool below_end = p.segment_base < head->segment_base ||
                           (p.segment_base == head->segment_base && p.last_frame_position + f::kHeaderSize <= head->committed_end);
    std::string last_body;
    Status read_body = batches[i]->impl().ForEachFrame([&](const Batch::Impl::FrameView& frame) {
      last_body.assign(frame.body);
      return Status::Ok();
    });
    std::string why = "the log does not hold it there";
    bool committed = false;
    if (!below_end) {
      why = "that place is not below the log's committed end";
    } else if (read_body.ok()) {
      const PlacedFrame placed = ReadPlaced(p, result->count, last_body, &why);
      committed = placed == PlacedFrame::kThere ||
                  (placed == PlacedFrame::kGone && EventsAreAt(result->first_offset, *batches[i]));
    }
    results.push_back(committed ? std::move(result) : Result<AppendResult>(unknown(why)));
  }
  return results;
}

}  // namespace eventlog
