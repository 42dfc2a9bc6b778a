#include "commands/append_session.h"

#include <fmt/core.h>

#include <cstring>
#include <system_error>

namespace evlog {

using eventlog::Status;

AppendSession::AppendSession(eventlog::Log& log, const AppendPlan& plan, RecordSplitter& input,
                             EventBuilder& builder, OutputBuffer& offsets_out)
    : log_(log),
      plan_(plan),
      input_(input),
      builder_(builder),
      offsets_out_(offsets_out),
      batch_(log.NewBatch()) {
  if (!plan_.atomic && plan_.sync != SyncMode::kAlways) {
    try {
      // Two threads decoding submit two batches a round: room for both, so that the second
      // does not wait for the first one's commit.
      std::vector<eventlog::Batch> spares;
      for (int i = plan_.json ? 2 : 1; i > 0; --i) spares.push_back(log.NewBatch());
      pipeline_ = std::make_unique<CommitPipeline>([this](eventlog::Batch& batch) { return CommitBatch(batch); },
                                                   std::move(spares));
      if (plan_.json) helper_ = std::make_unique<DecodeHelper>(builder_.options(), plan_.max_event_bytes, log.NewBatch());
    } catch (const std::system_error&) {
      // No (second) thread to be had, a process or memory limit: decode in this one, and
      // commit here too if the pipeline did not start either.
    }
  }
}

Status AppendSession::Run() {
  Status status = ReadAndAppend();
  if (stream_ && stream_->active()) {
    // Not committed: nothing of it is appended, and the log's lock is released now. (A
    // stream that is no longer active ended with a failure, which `status` already says.)
    Status abandoned = stream_->Abandon();
    if (!abandoned.ok()) status = {status.code(), status.message() + "; then " + abandoned.message()};
  }
  stream_.reset();
  // The commit's code decides the exit status: what state the log is in (4 for damage)
  // matters more than what was wrong with the input.
  auto with_commit_failure = [&](const Status& committed) -> Status {
    return {committed.code(), status.message() + "; committing the records before it failed: " + committed.message()};
  };
  if (!status.ok() && record_failed_ && !plan_.atomic && !batch_.empty()) {
    // Streaming mode keeps every record before a bad one, whatever the chunking of the
    // input: the outcome is "records 1..N-1 appended", independent of timing.
    Status committed = Commit();
    if (!committed.ok()) return with_commit_failure(committed);
  }
  Status drained = Drain();
  if (status.ok()) return drained;
  return record_failed_ && !drained.ok() ? with_commit_failure(drained) : status;
}

Status AppendSession::ReadAndAppend() {
  if (helper_) return ReadAndAppendInChunks();
  if (plan_.atomic_stream) EVLOG_RETURN_IF_ERROR(BeginStream());
  InputRecord record;
  for (;;) {
    if (input_.NextBuffered(&record)) {
      EVLOG_RETURN_IF_ERROR(AddRecord(record));
      continue;
    }
    if (input_.done()) break;
    // Everything buffered is in the batch. If the producer has nothing more for us right
    // now, commit instead of waiting in read(): its events become visible at once. And
    // wait for that commit before read() may block: a failure must end append now, not
    // when the producer next writes (it may be waiting for our offsets).
    if (!plan_.atomic && !input_.InputPending()) {
      if (!batch_.empty()) EVLOG_RETURN_IF_ERROR(Commit());
      EVLOG_RETURN_IF_ERROR(Drain());
    }
    Status read = input_.Fill();
    if (!read.ok()) return RecordError(record_number_ + 1, read);
  }
  // With --expect-next even an empty input is checked against the log's next offset.
  if (stream_ || !batch_.empty() || plan_.expect_next) return Commit();
  return Status::Ok();
}

Status AppendSession::AddRecord(const InputRecord& record) {
  ++record_number_;
  if (record.too_large) return RecordError(record_number_, RecordTooLarge(plan_.json, record.size, plan_.max_event_bytes));
  if (builder_.Skips(record.bytes)) return Status::Ok();
  eventlog::EventInput event;
  Status built = builder_.Build(record.bytes, &event);
  if (!built.ok()) return RecordError(record_number_, built);
  EVLOG_RETURN_IF_ERROR(AddEvent(event));
  if (plan_.atomic) return Status::Ok();
  if (plan_.sync == SyncMode::kAlways || batch_.encoded_bytes() >= plan_.commit_bytes) {
    return Commit();
  }
  return Status::Ok();
}

// The loop of ReadAndAppend, with records decoded a chunk at a time, on the helper's
// thread and this one in turn (decode_helper.h). Chunks are committed in input order, and
// whenever the producer pauses everything read is committed, as in the serial loop.
Status AppendSession::ReadAndAppendInChunks() {
  // Half a commit: two chunks, one per thread, make the batch the serial loop commits. A
  // record that would take a chunk past it starts the next one, so that a chunk's batch
  // stays that small unless it holds one record alone.
  const uint64_t chunk_bytes = std::max<uint64_t>(1, plan_.commit_bytes / 2);
  const uint64_t extra_bytes = RecordChunk::ExtraBytesPerEvent(builder_.options());
  InputRecord record;
  for (;;) {
    if (input_.NextBuffered(&record)) {
      const uint64_t bound = record.size + extra_bytes;
      if (!chunk_.empty() && chunk_.encoded_bound() + bound > chunk_bytes) EVLOG_RETURN_IF_ERROR(DecodeChunk());
      chunk_.Add(record, ++record_number_, bound);
      continue;
    }
    if (input_.done()) break;
    if (!input_.InputPending()) {
      EVLOG_RETURN_IF_ERROR(CommitChunks());
      EVLOG_RETURN_IF_ERROR(Drain());
    }
    Status read = input_.Fill();
    if (!read.ok()) {
      // As the serial loop: the records before the failed read are appended.
      EVLOG_RETURN_IF_ERROR(CommitChunks());
      return RecordError(record_number_ + 1, read);
    }
  }
  return CommitChunks();
}

// A full chunk: the helper takes it if it is free; otherwise this thread decodes it while
// the helper finishes the one before, and both are committed.
Status AppendSession::DecodeChunk() {
  if (!helper_->busy()) {
    helper_->Start(&chunk_);
    return Status::Ok();
  }
  return CommitChunks();
}

// Decodes the chunk being filled here, and commits the helper's chunk and then this one.
Status AppendSession::CommitChunks() {
  ChunkOutcome mine;
  if (!chunk_.empty()) {
    mine = ChunkDecoder{builder_, plan_.json, plan_.max_event_bytes}.Decode(chunk_, batch_);
    chunk_.Clear();
  }
  if (helper_->busy()) {
    ChunkOutcome theirs = helper_->Finish();
    if (!helper_->decoded().empty()) {
      Status submitted = pipeline_->Submit(&helper_->decoded());
      if (!submitted.ok()) {
        batch_.Clear();  // records after a failed commit: never committed
        return submitted;
      }
    }
    if (!theirs.ok()) {
      batch_.Clear();  // records after the one at fault
      return RecordError(theirs.record_number, theirs.cause);
    }
  }
  if (!batch_.empty()) EVLOG_RETURN_IF_ERROR(Commit());
  if (!mine.ok()) return RecordError(mine.record_number, mine.cause);
  return Status::Ok();
}

Status AppendSession::AddEvent(const eventlog::EventInput& event) {
  if (stream_) {
    Status added = stream_->Add(event);
    // Refused while the batch goes on: the input's fault. What ended the batch (a failed
    // write, a full log) is the log's.
    if (!added.ok() && stream_->active()) return RecordError(record_number_, WithLimitHint(added));
    return added;
  }
  Status added = batch_.Add(event);
  if (!added.ok() && added.code() == eventlog::StatusCode::kInvalidArgument && !plan_.atomic &&
      !batch_.empty()) {
    // A streaming batch may be refused only because it is full (it would exceed a
    // segment): commit what it holds and try the event on its own.
    EVLOG_RETURN_IF_ERROR(Commit());
    added = batch_.Add(event);
  }
  if (!added.ok()) return RecordError(record_number_, WithLimitHint(added));
  return Status::Ok();
}

Status AppendSession::Commit() {
  if (stream_) return CommitStream();
  if (pipeline_) return pipeline_->Submit(&batch_);
  return CommitBatch(batch_);
}

Status AppendSession::Drain() { return pipeline_ ? pipeline_->Drain() : Status::Ok(); }

Status AppendSession::CommitBatch(eventlog::Batch& batch) {
  eventlog::AppendOptions options{.sync = plan_.sync != SyncMode::kNone,
                                  .expect_next = plan_.expect_next};
  auto appended = log_.Append(batch, options);
  if (!appended) {
    if (appended.error().code() == eventlog::StatusCode::kConflict) {
      return appended.error().WithContext("--expect-next");
    }
    return appended.error();
  }
  batch.Clear();
  return Appended(*appended);
}

Status AppendSession::BeginStream() {
  auto begun = log_.BeginAtomicAppend({.sync = plan_.sync != SyncMode::kNone, .expect_next = plan_.expect_next});
  if (!begun) {
    if (begun.error().code() == eventlog::StatusCode::kConflict) return begun.error().WithContext("--expect-next");
    return begun.error();
  }
  stream_ = std::move(*begun);
  return Status::Ok();
}

Status AppendSession::CommitStream() {
  auto appended = stream_->Commit();
  stream_.reset();
  if (!appended) return appended.error();
  return Appended(*appended);
}

Status AppendSession::Appended(const eventlog::AppendResult& appended) {
  if (appended.count == 0) return Status::Ok();
  appended_ += appended.count;
  uint64_t last = appended.first_offset + appended.count - 1;
  if (!appended_ranges_.empty() && appended_ranges_.back().second + 1 == appended.first_offset) {
    appended_ranges_.back().second = last;
  } else {
    appended_ranges_.emplace_back(appended.first_offset, last);
  }
  return plan_.print_offsets ? PrintOffsets(appended) : Status::Ok();
}

Status AppendSession::PrintOffsets(const eventlog::AppendResult& appended) {
  for (uint64_t i = 0; i < appended.count; ++i) {
    offsets_out_.AppendDecimal(appended.first_offset + i);
    offsets_out_.Append('\n');
  }
  // Flushed per commit: whoever reads the offsets may be waiting for them.
  if (offsets_out_.Flush()) return Status::Ok();
  return Status::IOError(std::string("cannot write offsets to stdout: ") +
                         std::strerror(offsets_out_.error()));
}

Status AppendSession::RecordError(uint64_t number, const Status& cause) {
  record_failed_ = true;
  return {cause.code(), fmt::format("input record {}: {}", number, cause.message())};
}

std::string AppendSession::DescribeProgress(const eventlog::Status& failure) const {
  // kFailed: the failing commit's events may be in the log or not.
  const bool unknown = failure.code() == eventlog::StatusCode::kFailed;
  if (plan_.atomic) {
    return unknown ? "whether the input (one atomic batch) is in the log is unknown: look with `evlog tail`"
                   : "nothing was appended (the input is one atomic batch)";
  }
  std::string before = DescribeAppended();
  if (unknown) before += "; whether the events of the commit that failed are in the log is unknown: look with `evlog tail`";
  return before;
}

std::string AppendSession::DescribeAppended() const {
  if (appended_ == 0) return "no events were appended before the error";
  std::string ranges;
  constexpr size_t kMaxRangesShown = 4;
  for (size_t i = 0; i < appended_ranges_.size() && i < kMaxRangesShown; ++i) {
    const auto& [first, last] = appended_ranges_[i];
    if (i > 0) ranges += ", ";
    ranges += first == last ? fmt::format("{}", first) : fmt::format("{}..{}", first, last);
  }
  if (appended_ranges_.size() > kMaxRangesShown) {
    ranges += fmt::format(" and {} more ranges", appended_ranges_.size() - kMaxRangesShown);
  }
  bool one = appended_ == 1;
  return fmt::format("{} event{} appended before the error (offset{} {})", appended_,
                     one ? "" : "s", one ? "" : "s", ranges);
}

}  // namespace evlog
