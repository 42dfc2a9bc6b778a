#include "commands/decode_helper.h"

#include <fmt/core.h>

#include <utility>

namespace evlog {

using eventlog::Status;

uint64_t RecordChunk::ExtraBytesPerEvent(const EventBuilderOptions& options) {
  uint64_t extra = 64;
  for (const auto& [name, value] : options.headers) extra += 20 + name.size() + value.size();  // two varints each
  return extra;
}

void RecordChunk::Add(const InputRecord& record, uint64_t number, uint64_t encoded_bound) {
  if (records_.empty()) first_number_ = number;
  records_.push_back({bytes_.size(), record.size, record.too_large});
  bytes_.append(record.bytes);
  encoded_bound_ += encoded_bound;
}

void RecordChunk::Clear() {
  bytes_.clear();
  records_.clear();
  first_number_ = 0;
  encoded_bound_ = 0;
}

Status RecordTooLarge(bool json, uint64_t size, uint64_t max_event_bytes) {
  return Status::InvalidArgument(fmt::format("{} of {} bytes exceeds the log's maximum event size of {} bytes (see "
                                             "--max-event-bytes)",
                                             json ? "JSON envelope" : "event", size, max_event_bytes));
}

Status WithLimitHint(const Status& status) {
  const std::string& message = status.message();
  if (message.find("maximum event size") == std::string::npos ||
      message.find("--max-event-bytes") != std::string::npos) {
    return status;
  }
  return {status.code(), message + " (see --max-event-bytes)"};
}

ChunkOutcome ChunkDecoder::Decode(const RecordChunk& chunk, eventlog::Batch& batch) const {
  uint64_t number = chunk.first_number_;
  for (const RecordChunk::Record& r : chunk.records_) {
    if (r.too_large) return {RecordTooLarge(json, r.size, max_event_bytes), number};
    const std::string_view bytes(chunk.bytes_.data() + r.at, r.size);
    if (!builder.Skips(bytes)) {
      eventlog::EventInput event;
      Status built = builder.Build(bytes, &event);
      if (!built.ok()) return {built, number};
      // A chunk holds one record, or records whose events fit half a commit (the session
      // cuts it by RecordChunk::encoded_bound), so a refusal here is the event's own (too
      // large), never a full batch.
      Status added = batch.Add(event);
      if (!added.ok()) return {WithLimitHint(added), number};
    }
    ++number;
  }
  return {};
}

DecodeHelper::DecodeHelper(EventBuilderOptions options, uint64_t max_event_bytes, eventlog::Batch batch)
    : builder_(options),
      decoder_{builder_, options.json, max_event_bytes},
      batch_(std::move(batch)),
      thread_([this] { outcome_ = decoder_.Decode(chunk_, batch_); }) {}

void DecodeHelper::Start(RecordChunk* chunk) {
  std::swap(chunk_, *chunk);
  started_ = true;
  thread_.Start();
}

ChunkOutcome DecodeHelper::Finish() {
  thread_.Wait();
  started_ = false;
  chunk_.Clear();
  return std::move(outcome_);
}

}  // namespace evlog
