// AtomicAppend: a Batch whose frames the writer takes as they fill (LogWriter's stream).
//
// Every frame but the one being filled goes to the segment as soon as it is finished: an
// event was just added to the one being filled, so it is the batch's last frame if the
// input ends now, and only Commit() knows that. The first frame written is kFirst, the
// others kMiddle; Commit() writes the last as kLast, or as kFull if it is the only one.
// The segment is chosen at the first frame: a batch that ends before a frame fills is
// known whole at Commit() and goes where it fits, as Log::Append would put it.
#include "eventlog/atomic_append.h"

#include <mutex>

#include "batch_impl.h"
#include "eventlog/log.h"
#include "frame.h"
#include "log_impl.h"
#include "log_writer.h"

namespace eventlog {

class AtomicAppend::Impl {
 public:
  Impl(std::unique_lock<std::mutex> writer_lock, LogWriter* writer, const LogMeta& meta, uint64_t max_batch_bytes,
       const std::string& dir)
      : writer_lock_(std::move(writer_lock)),
        writer_(writer),
        encoder_(meta.max_event_bytes, max_batch_bytes, dir, Batch::kDefaultFrameBodyBytes) {
    encoder_.NeverSpill();
  }

  ~Impl() {
    if (!ended_) (void)Abandon();
  }

  Status Begin(const AppendOptions& options) {
    Status begun = writer_->BeginStream(options.sync, options.expect_next, &first_offset_);
    if (!begun.ok()) (void)End(begun);
    return begun;
  }

  Status Add(const EventInput& event) {
    if (ended_) return Ended();
    Status added = encoder_.Add(event);
    if (added.code() == StatusCode::kInvalidArgument) return added;  // refused: the batch is unchanged
    if (!added.ok()) return End(writer_->AbandonStream(added));
    if (encoder_.frame_count() < 2) return Status::Ok();  // only the frame being filled
    Status written = frames_written_ == 0 ? writer_->MakeStreamRoom(std::nullopt) : Status::Ok();
    if (written.ok()) {
      written = encoder_.TakeFinishedFrames(/*keep=*/0, [&](const Batch::Impl::FrameView& frame) {
        return writer_->WriteStreamFrame(BatchFrameKind(/*first=*/frames_written_++ == 0, /*last=*/false), frame);
      });
    }
    if (written.ok()) return written;
    return End(writer_->AbandonStream(written));
  }

  Result<AppendResult> Commit() {
    if (ended_) return Ended();
    Status written;
    if (frames_written_ == 0 && encoder_.event_count() > 0) {
      written = writer_->MakeStreamRoom(encoder_.encoded_bytes());
    }
    const size_t left = encoder_.frame_count();
    size_t index = 0;
    if (written.ok()) {
      written = encoder_.ForEachFrame([&](const Batch::Impl::FrameView& frame) {
        const bool first = frames_written_++ == 0;
        return writer_->WriteStreamFrame(BatchFrameKind(first, /*last=*/++index == left), frame);
      });
    }
    EVLOG_RETURN_IF_ERROR(End(written.ok() ? writer_->CommitStream() : writer_->AbandonStream(written)));
    committed_ = true;
    return AppendResult{first_offset_, encoder_.event_count()};
  }

  Status Abandon() {
    if (ended_) return outcome_;
    return End(writer_->AbandonStream(Status::Ok()));
  }

  bool active() const { return !ended_; }
  uint64_t event_count() const { return encoder_.event_count(); }

 private:
  // The stream is over (committed, abandoned, or never begun): this process's other
  // appenders may go on.
  Status End(Status outcome) {
    ended_ = true;
    outcome_ = outcome;
    writer_lock_.unlock();
    return outcome;
  }

  Status Ended() const {
    if (!outcome_.ok()) return outcome_;
    return Status::InvalidArgument(committed_ ? "this atomic append was already committed"
                                              : "this atomic append was abandoned");
  }

  std::unique_lock<std::mutex> writer_lock_;  // this process's writer mutex, until End()
  LogWriter* writer_;
  Batch::Impl encoder_;
  uint64_t first_offset_ = 0;
  uint64_t frames_written_ = 0;
  bool ended_ = false;
  bool committed_ = false;
  Status outcome_;
};

Result<std::unique_ptr<AtomicAppend>> Log::Impl::BeginAtomicAppend(const AppendOptions& options) {
  std::unique_lock<std::mutex> writer_lock(writer_mu_);
  LogWriter* log_writer = &writer();
  auto impl = std::make_unique<AtomicAppend::Impl>(std::move(writer_lock), log_writer, meta_, max_batch_bytes(), dir_);
  // LOG/LOCK is taken only now, by an Impl whose destructor gives it back.
  EVLOG_RETURN_IF_ERROR(impl->Begin(options));
  return std::make_unique<AtomicAppend>(std::move(impl));
}

AtomicAppend::AtomicAppend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AtomicAppend::~AtomicAppend() = default;
Status AtomicAppend::Add(const EventInput& event) { return impl_->Add(event); }
Result<AppendResult> AtomicAppend::Commit() { return impl_->Commit(); }
Status AtomicAppend::Abandon() { return impl_->Abandon(); }
bool AtomicAppend::active() const { return impl_->active(); }
uint64_t AtomicAppend::event_count() const { return impl_->event_count(); }

}  // namespace eventlog
