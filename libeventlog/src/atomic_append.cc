// AtomicAppend: a Batch whose frames the writer takes as they fill (LogWriter's stream).
//
// Every frame but the one being filled goes to the segment as soon as it is finished: an
// event was just added to the one being filled, so it is the batch's last frame if the
// input ends now, and only Commit() knows that. The first frame written is kFirst, the
// others kMiddle; Commit() writes the last as kLast, or as kFull if it is the only one.
#include "eventlog/atomic_append.h"

#include <mutex>

#include "batch_impl.h"
#include "eventlog/log.h"
#include "format.h"
#include "log_impl.h"
#include "log_writer.h"

namespace eventlog {

namespace f = format::frame;

class AtomicAppend::Impl {
 public:
  Impl(std::unique_lock<std::mutex> writer_lock, LogWriter* writer, const LogMeta& meta, uint64_t max_batch_bytes,
       const std::string& dir, uint64_t first_offset)
      : writer_lock_(std::move(writer_lock)),
        writer_(writer),
        encoder_(meta.max_event_bytes, max_batch_bytes, dir, Batch::kDefaultFrameBodyBytes),
        first_offset_(first_offset) {}

  ~Impl() {
    if (!ended_) (void)writer_->AbandonStream(Status::Ok());
  }

  Status Add(const EventInput& event) {
    if (ended_) return Ended();
    EVLOG_RETURN_IF_ERROR(encoder_.Add(event));  // refused: the batch is unchanged
    Status written = encoder_.TakeFinishedFrames(/*keep=*/0, [&](const Batch::Impl::FrameView& frame) {
      return writer_->WriteStreamFrame(frames_written_++ == 0 ? f::kFirst : f::kMiddle, frame);
    });
    if (written.ok()) return written;
    return End(writer_->AbandonStream(written));
  }

  Result<AppendResult> Commit() {
    if (ended_) return Ended();
    const size_t left = encoder_.frame_count();
    size_t index = 0;
    Status written = encoder_.ForEachFrame([&](const Batch::Impl::FrameView& frame) {
      const bool first = frames_written_++ == 0;
      const bool last = ++index == left;
      return writer_->WriteStreamFrame(first && last ? f::kFull : first ? f::kFirst : last ? f::kLast : f::kMiddle,
                                       frame);
    });
    EVLOG_RETURN_IF_ERROR(End(written.ok() ? writer_->CommitStream() : writer_->AbandonStream(written)));
    committed_ = true;
    return AppendResult{first_offset_, encoder_.event_count()};
  }

  uint64_t event_count() const { return encoder_.event_count(); }

 private:
  // The stream is over (committed or abandoned): this process's other appenders may go on.
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
  const uint64_t first_offset_;
  uint64_t frames_written_ = 0;
  bool ended_ = false;
  bool committed_ = false;
  Status outcome_;
};

Result<std::unique_ptr<AtomicAppend>> Log::Impl::BeginAtomicAppend(const AppendOptions& options) {
  std::unique_lock<std::mutex> writer_lock(writer_mu_);
  uint64_t first_offset = 0;
  EVLOG_RETURN_IF_ERROR(writer().BeginStream(options.sync, options.expect_next, &first_offset));
  return std::make_unique<AtomicAppend>(std::make_unique<AtomicAppend::Impl>(
      std::move(writer_lock), &writer(), meta_, max_batch_bytes(), dir_, first_offset));
}

AtomicAppend::AtomicAppend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AtomicAppend::~AtomicAppend() = default;
Status AtomicAppend::Add(const EventInput& event) { return impl_->Add(event); }
Result<AppendResult> AtomicAppend::Commit() { return impl_->Commit(); }
uint64_t AtomicAppend::event_count() const { return impl_->event_count(); }

}  // namespace eventlog
