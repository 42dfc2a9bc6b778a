#include "commit_queue.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cstring>

#include <fmt/format.h>

#include "coding.h"
#include "format.h"
#include "frame.h"

namespace eventlog {

namespace q = format::queue;
namespace f = format::frame;

namespace {

// A slot's payload, batch after batch (format-spec §6.8):
//   u32 frame_count, then per frame: u32 event_count, u32 body_bytes, body.
constexpr size_t kBatchHeaderBytes = 4;
constexpr size_t kFrameHeaderBytes = 8;

bool HandsOver(const Batch& batch) {
  const Batch::Impl& b = batch.impl();
  return !b.preset() && b.event_count() > 0;
}

std::string HeaderBytes(const LogId& log_id) {
  std::string header(q::kHeaderSize, '\0');
  std::memcpy(header.data() + q::kMagicAt, q::kMagic.data(), q::kMagic.size());
  PutFixed32(header.data() + q::kVersionAt, q::kVersion);
  PutFixed32(header.data() + q::kSlotCountAt, q::kSlotCount);
  PutFixed32(header.data() + q::kSlotBytesAt, q::kSlotBytes);
  std::memcpy(header.data() + q::kLogIdAt, log_id.data(), log_id.size());
  return header;
}

// Checks one handed-over frame body as a reader would check it in the log (format-spec
// §5.6, the body included), by giving it a header: a malformed body must never reach the
// segment, where it would be corruption below the committed end.
Status CheckFrameBody(uint32_t event_count, std::string_view body) {
  FrameHeader h;
  h.kind = f::kFull;
  h.event_count = event_count;
  h.last_offset_delta = event_count - 1;
  std::string frame(format::AlignUp(f::kHeaderSize + body.size()), '\0');
  std::memcpy(frame.data() + f::kHeaderSize, body.data(), body.size());
  EncodeFrameHeader(&h, body, frame.data());
  FrameHeader parsed;
  std::string why;
  if (ParseFrame(frame, 0, /*check_body=*/true, &parsed, &why) != FrameParse::kOk) return Status::Corruption(why);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<CommitQueue>> CommitQueue::Open(FileSystem* fs, const std::string& path, const LogId& log_id,
                                                       bool create) {
  if (!create) {
    EVLOG_ASSIGN_OR_RETURN(bool exists, fs->Exists(path));
    if (!exists) return std::unique_ptr<CommitQueue>();
  }
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<SharedRegion> region,
                         fs->OpenShared(path, q::kHeaderSize + size_t{q::kSlotCount} * q::kSlotBytes));
  if (!region) return std::unique_ptr<CommitQueue>();
  const std::string header = HeaderBytes(log_id);
  char* data = region->data();
  auto ours = [&] { return std::memcmp(data, header.data(), q::kFixedHeaderBytes) == 0; };
  // The header is written once and never changed, so one that reads exactly as ours is
  // whole: no lock needed (a process stopped while holding the header lock stops nobody).
  if (ours()) return std::unique_ptr<CommitQueue>(new CommitQueue(std::move(region)));
  // Not (yet) ours: nobody of this log has used it, so it holds nothing to resolve. Only a
  // process about to hand over writes a header.
  if (!create) return std::unique_ptr<CommitQueue>();
  {
    // The header byte lock makes writing a new header and reading it one step at a time:
    // nobody sees half of it. Held for microseconds by a process at work, so waiting for it
    // polls; if it stays taken (a process stopped there), this one commits alone.
    std::unique_ptr<FileLock> init;
    for (int attempt = 0; !init; ++attempt) {
      EVLOG_ASSIGN_OR_RETURN(init, region->TryLockByte(q::kInitLockByte));
      if (!init && attempt == 1000) return std::unique_ptr<CommitQueue>();
      if (!init) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    if (std::all_of(data, data + q::kFixedHeaderBytes, [](char c) { return c == '\0'; })) {
      std::memcpy(data, header.data(), q::kFixedHeaderBytes);
    }
    // Another version's or a former log's queue: not ours to change.
    if (!ours()) return std::unique_ptr<CommitQueue>();
  }
  return std::unique_ptr<CommitQueue>(new CommitQueue(std::move(region)));
}

Result<bool> CommitQueue::HoldsClaimedSlots(FileSystem* fs, const std::string& path, const LogId& log_id) {
  Result<std::unique_ptr<File>> file = fs->Open(path, OpenMode::kReadOnly);
  // Gone, or not a regular file: no process can map it, so none has used it.
  if (!file && (file.error().code() == StatusCode::kNotFound || file.error().code() == StatusCode::kCorruption)) {
    return false;
  }
  EVLOG_RETURN_IF_ERROR(file.status());
  // pread sees what the processes mapping the file see: both are the file's page cache.
  char header[q::kFixedHeaderBytes];
  EVLOG_ASSIGN_OR_RETURN(size_t got, (*file)->Read(0, header));
  if (got != sizeof header || std::memcmp(header, HeaderBytes(log_id).data(), sizeof header) != 0) return false;
  for (uint32_t slot = 0; slot < q::kSlotCount; ++slot) {
    char state[4];
    EVLOG_ASSIGN_OR_RETURN(got, (*file)->Read(q::kHeaderSize + uint64_t{slot} * q::kSlotBytes + q::kStateAt, state));
    if (got == sizeof state && GetFixed32(state) == static_cast<uint32_t>(SlotState::kClaimed)) return true;
  }
  return false;
}

CommitQueue::~CommitQueue() {
  offer_lock_.reset();
  slot_lock_.reset();
}

char* CommitQueue::Slot(uint32_t slot) const {
  return region_->data() + q::kHeaderSize + size_t{slot} * q::kSlotBytes;
}

// The state word is the one field two processes touch without LOCK (an owner marks its slot
// READY while a holder may be scanning): release on store, acquire on load, so whoever sees
// READY sees the payload written before it, and an owner that sees DONE sees the results.
CommitQueue::SlotState CommitQueue::StateOf(uint32_t slot) const {
  auto* word = reinterpret_cast<uint32_t*>(Slot(slot) + q::kStateAt);
  return static_cast<SlotState>(__atomic_load_n(word, __ATOMIC_ACQUIRE));
}

void CommitQueue::SetState(uint32_t slot, SlotState state) {
  auto* word = reinterpret_cast<uint32_t*>(Slot(slot) + q::kStateAt);
  __atomic_store_n(word, static_cast<uint32_t>(state), __ATOMIC_RELEASE);
}

// The READY mask spares a holder a look at every slot (64 pages) in each commit: an owner
// sets its bit after marking the slot READY, and whoever moves a slot out of READY clears
// it. A bit may be stale (its owner died); the slot's state and lock still decide.
uint64_t* CommitQueue::ReadyMask() const { return reinterpret_cast<uint64_t*>(region_->data() + q::kReadyMaskAt); }

void CommitQueue::ClearReady(uint32_t slot) { __atomic_fetch_and(ReadyMask(), ~(uint64_t{1} << slot), __ATOMIC_ACQ_REL); }

bool CommitQueue::CompareAndSetState(uint32_t slot, SlotState from, SlotState to) {
  auto* word = reinterpret_cast<uint32_t*>(Slot(slot) + q::kStateAt);
  uint32_t expected = static_cast<uint32_t>(from);
  return __atomic_compare_exchange_n(word, &expected, static_cast<uint32_t>(to), /*weak=*/false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE);
}

// Needs no lock but the slot's own byte: what a dead owner left is taken out of READY or
// DONE by a compare-and-swap, which fails if a holder claimed the batches first (it claims
// only READY batches whose owner holds the offer byte, and no new owner has taken that
// yet). A CLAIMED slot is a holder's, or an orphan until the next lock holder resolves it:
// not to be reused now.
Result<bool> CommitQueue::ClaimSlot() {
  for (uint32_t slot = 0; slot < q::kSlotCount; ++slot) {
    EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, region_->TryLockByte(slot));
    if (!lock) continue;
    const SlotState state = StateOf(slot);
    if (state == SlotState::kClaimed || !CompareAndSetState(slot, state, SlotState::kFree)) continue;
    ClearReady(slot);
    std::memset(Slot(slot) + q::kStateAt + 4, 0, q::kPayloadAt - q::kStateAt - 4);
    slot_lock_ = std::move(lock);
    slot_ = slot;
    return true;
  }
  return false;
}

Result<bool> CommitQueue::Offer(std::span<const Batch* const> batches) {
  // Only a FREE slot is the owner's to write (a holder may be resolving any other).
  if (!has_slot() || own_state() != SlotState::kFree || batches.empty() || batches.size() > q::kMaxBatches) {
    return false;
  }
  char* s = Slot(slot_);
  char* payload = s + q::kPayloadAt;
  size_t used = 0;
  for (const Batch* batch : batches) {
    if (!HandsOver(*batch)) return false;
    const Batch::Impl& b = batch->impl();
    if (used + kBatchHeaderBytes > q::kMaxPayload) return false;
    PutFixed32(payload + used, static_cast<uint32_t>(b.frame_count()));
    used += kBatchHeaderBytes;
    bool fits = true;
    Status s_read = b.ForEachFrame([&](const Batch::Impl::FrameView& frame) -> Status {
      if (!fits || used + kFrameHeaderBytes + frame.body.size() > q::kMaxPayload) {
        fits = false;
        return Status::Ok();
      }
      PutFixed32(payload + used, frame.event_count);
      PutFixed32(payload + used + 4, static_cast<uint32_t>(frame.body.size()));
      std::memcpy(payload + used + kFrameHeaderBytes, frame.body.data(), frame.body.size());
      used += kFrameHeaderBytes + frame.body.size();
      return Status::Ok();
    });
    EVLOG_RETURN_IF_ERROR(s_read);
    if (!fits) return false;
  }
  PutFixed32(s + q::kBatchCountAt, static_cast<uint32_t>(batches.size()));
  PutFixed32(s + q::kPayloadBytesAt, static_cast<uint32_t>(used));
  PutFixed32(s + q::kHolderPidAt, 0);
  std::memset(s + q::kMessageAt, 0, q::kPayloadAt - q::kMessageAt);
  // A result a holder never wrote must not read as committed (code 0).
  for (size_t i = 0; i < q::kMaxBatches; ++i) {
    PutFixed32(s + q::kResultsAt + i * q::kResultBytes + q::kResultCodeAt, static_cast<uint32_t>(StatusCode::kFailed));
  }
  // The offer byte says "this READY is a live owner's": a holder takes nothing without it.
  EVLOG_ASSIGN_OR_RETURN(offer_lock_, region_->TryLockByte(q::kSlotCount + slot_));
  if (!offer_lock_) return false;
  SetState(slot_, SlotState::kReady);
  __atomic_fetch_or(ReadyMask(), uint64_t{1} << slot_, __ATOMIC_ACQ_REL);
  return true;
}

CommitQueue::SlotState CommitQueue::own_state() const { return StateOf(slot_); }

void CommitQueue::Release() {
  SetState(slot_, SlotState::kFree);
  ClearReady(slot_);
  offer_lock_.reset();
}


std::vector<CommitQueue::TakenResult> CommitQueue::TakeResults(std::span<const Batch* const> batches) {
  const char* s = Slot(slot_);
  std::vector<TakenResult> results;
  const char* message_at = s + q::kMessageAt;
  const std::string message(message_at, strnlen(message_at, q::kMessageBytes));
  for (size_t i = 0; i < batches.size(); ++i) {
    const char* r = s + q::kResultsAt + i * q::kResultBytes;
    const uint32_t code = GetFixed32(r + q::kResultCodeAt);
    TakenResult& taken = results.emplace_back(TakenResult{Status::Failed("no result"), std::nullopt});
    if (code == static_cast<uint32_t>(StatusCode::kOk)) {
      taken.result = AppendResult{GetFixed64(r + q::kResultFirstOffsetAt), batches[i]->impl().event_count()};
      if (GetFixed32(r + q::kResultPlacedAt) == 1) taken.placement = PlacementAt(r);
    } else if (code <= static_cast<uint32_t>(StatusCode::kBusy)) {
      taken.result = Status(static_cast<StatusCode>(code), message);
    } else {
      taken.result = Status::Failed(
          fmt::format("the process that committed it reported an unknown result {}: outcome unknown", code));
    }
  }
  Release();
  return results;
}

std::vector<CommitQueue::QueuedRequest> CommitQueue::Collect() {
  std::vector<QueuedRequest> requests;
  const uint64_t mask = __atomic_load_n(ReadyMask(), __ATOMIC_ACQUIRE);
  for (uint32_t slot = 0; slot < q::kSlotCount; ++slot) {
    if ((mask & (uint64_t{1} << slot)) == 0 || (has_slot() && slot == slot_)) continue;
    if (StateOf(slot) != SlotState::kReady) continue;
    // An owner that died left READY behind: its caller is gone, so its batches are not
    // appended (after a reboot, every slot is such a one).
    Result<bool> alive = region_->ByteLockedElsewhere(q::kSlotCount + slot);
    if (!alive) continue;  // left to its owner, which commits it once it holds the lock
    if (!*alive) {
      // A new owner may have taken the slot and offered since: give its bit back.
      ClearReady(slot);
      Result<bool> offered = region_->ByteLockedElsewhere(q::kSlotCount + slot);
      if (StateOf(slot) == SlotState::kReady && offered && *offered) {
        __atomic_fetch_or(ReadyMask(), uint64_t{1} << slot, __ATOMIC_ACQ_REL);
      }
      continue;
    }
    // Fails if a new owner took the slot from a dead one since the state was read.
    if (!CompareAndSetState(slot, SlotState::kReady, SlotState::kClaimed)) continue;
    ClearReady(slot);
    PutFixed32(Slot(slot) + q::kHolderPidAt, static_cast<uint32_t>(getpid()));
    QueuedRequest& request = requests.emplace_back();
    request.slot = slot;
    request.batch_count = std::min<uint32_t>(GetFixed32(Slot(slot) + q::kBatchCountAt), q::kMaxBatches);
    request.malformed = Decode(slot, &request);
  }
  return requests;
}

std::vector<CommitQueue::Orphan> CommitQueue::FindOrphans() {
  std::vector<Orphan> orphans;
  for (uint32_t slot = 0; slot < q::kSlotCount; ++slot) {
    if (StateOf(slot) != SlotState::kClaimed) continue;
    const char* s = Slot(slot);
    Orphan& orphan = orphans.emplace_back();
    orphan.slot = slot;
    orphan.holder_pid = GetFixed32(s + q::kHolderPidAt);
    QueuedRequest request;
    const bool decoded = Decode(slot, &request).ok();
    const uint32_t batch_count = std::min<uint32_t>(GetFixed32(s + q::kBatchCountAt), q::kMaxBatches);
    for (uint32_t i = 0; i < std::max<uint32_t>(batch_count, 1); ++i) {
      const char* r = s + q::kResultsAt + i * q::kResultBytes;
      const bool known = decoded && i < request.batches.size();
      orphan.event_counts.push_back(known ? request.batches[i].event_count : 0);
      orphan.last_bodies.emplace_back(known ? request.batches[i].frames.back().body : std::string_view());
      if (GetFixed32(r + q::kResultPlacedAt) != 1) {
        orphan.placements.emplace_back();
        continue;
      }
      orphan.placements.push_back(PlacementAt(r));
    }
  }
  return orphans;
}

// Copies the payload out first: the slot's bytes may change under us if its owner
// misbehaves, the copy cannot.
Status CommitQueue::Decode(uint32_t slot, QueuedRequest* out) const {
  const char* s = Slot(slot);
  const uint32_t batch_count = GetFixed32(s + q::kBatchCountAt);
  const uint32_t payload_bytes = GetFixed32(s + q::kPayloadBytesAt);
  auto malformed = [&](std::string_view what) {
    return Status::InvalidArgument(
        fmt::format("the batches handed over in slot {} of QUEUE are malformed ({}); nothing of them was appended",
                    slot, what));
  };
  if (batch_count == 0 || batch_count > q::kMaxBatches) return malformed("batch count");
  if (payload_bytes > q::kMaxPayload) return malformed("payload size");
  out->storage.assign(s + q::kPayloadAt, s + q::kPayloadAt + payload_bytes);
  const char* p = out->storage.data();
  size_t left = payload_bytes;
  for (uint32_t i = 0; i < batch_count; ++i) {
    if (left < kBatchHeaderBytes) return malformed("truncated batch");
    const uint32_t frame_count = GetFixed32(p);
    p += kBatchHeaderBytes;
    left -= kBatchHeaderBytes;
    if (frame_count == 0 || frame_count > left / kFrameHeaderBytes) return malformed("frame count");
    QueuedBatch batch;
    for (uint32_t k = 0; k < frame_count; ++k) {
      if (left < kFrameHeaderBytes) return malformed("truncated frame");
      const uint32_t event_count = GetFixed32(p);
      const uint32_t body_bytes = GetFixed32(p + 4);
      p += kFrameHeaderBytes;
      left -= kFrameHeaderBytes;
      if (event_count == 0 || body_bytes > left) return malformed("frame size");
      const std::string_view body(p, body_bytes);
      Status checked = CheckFrameBody(event_count, body);
      if (!checked.ok()) return malformed(checked.message());
      Batch::Impl::FrameView frame;
      frame.body = body;
      frame.event_count = event_count;
      batch.frames.push_back(frame);
      batch.event_count += event_count;
      batch.encoded_bytes += format::AlignUp(f::kHeaderSize + body_bytes);
      p += body_bytes;
      left -= body_bytes;
    }
    out->batches.push_back(std::move(batch));
  }
  if (left != 0) return malformed("trailing bytes");
  return Status::Ok();
}

void CommitQueue::Place(uint32_t slot, size_t batch, const Placement& placement) {
  if (StateOf(slot) != SlotState::kClaimed) return;  // as in Post
  char* r = Slot(slot) + q::kResultsAt + batch * q::kResultBytes;
  PutFixed64(r + q::kResultFirstOffsetAt, placement.first_offset);
  PutFixed64(r + q::kResultSegmentAt, placement.segment_base);
  PutFixed64(r + q::kResultPositionAt, placement.last_frame_position);
  PutFixed64(r + q::kResultChecksumAt, placement.last_checksum);
  PutFixed32(r + q::kResultPlacedAt, 1);
}

CommitQueue::Placement CommitQueue::PlacementAt(const char* result) {
  return Placement{GetFixed64(result + q::kResultSegmentAt), GetFixed64(result + q::kResultPositionAt),
                   GetFixed64(result + q::kResultChecksumAt), GetFixed64(result + q::kResultFirstOffsetAt)};
}

void CommitQueue::Post(uint32_t slot, size_t batch, const Result<AppendResult>& result) {
  // A slot that is no longer CLAIMED was changed under the protocol (QUEUE truncated or
  // written by another program): it may be a new owner's now, so nothing is written into
  // it. (What could still slip through in a race is caught by the owner's check against
  // the log: LogWriter::ConfirmTaken.)
  if (StateOf(slot) != SlotState::kClaimed) return;
  char* s = Slot(slot);
  char* r = s + q::kResultsAt + batch * q::kResultBytes;
  if (result.has_value()) {
    PutFixed32(r + q::kResultCodeAt, static_cast<uint32_t>(StatusCode::kOk));
    PutFixed64(r + q::kResultFirstOffsetAt, result->first_offset);
    return;
  }
  const Status& status = result.error();
  PutFixed32(r + q::kResultCodeAt, static_cast<uint32_t>(status.code()));
  // One message per slot: a commit that fails gives every batch of it the same cause.
  const std::string& message = status.message();
  const size_t n = std::min(message.size(), q::kMessageBytes - 1);
  std::memset(s + q::kMessageAt, 0, q::kMessageBytes);
  std::memcpy(s + q::kMessageAt, message.data(), n);
}

void CommitQueue::Finish(uint32_t slot) { (void)CompareAndSetState(slot, SlotState::kClaimed, SlotState::kDone); }

uint32_t* CommitQueue::ReleasesWord() const { return reinterpret_cast<uint32_t*>(region_->data() + q::kReleasesAt); }

uint32_t CommitQueue::releases() const { return __atomic_load_n(ReleasesWord(), __ATOMIC_ACQUIRE); }

void CommitQueue::WaitForRelease(uint32_t seen, int timeout_ms) {
  region_->WaitWhileEqual(q::kReleasesAt, seen, timeout_ms);
}

void CommitQueue::AnnounceRelease() {
  __atomic_fetch_add(ReleasesWord(), 1, __ATOMIC_RELEASE);
  region_->WakeAll(q::kReleasesAt);
}

}  // namespace eventlog
