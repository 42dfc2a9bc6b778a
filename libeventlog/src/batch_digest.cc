#include "batch_digest.h"

#include <string>
#include <vector>

#include "coding.h"
#include "frame.h"
#include "hash.h"

namespace eventlog {
namespace {

// Feeds one event to the digest: offset and timestamp as fixed 8-byte integers, then key,
// headers and payload in the record encoding of format-spec §5.5, which is unambiguous
// (every field carries its length), so two different event sequences never feed the same
// bytes.
class EventDigest {
 public:
  void Add(uint64_t offset, int64_t timestamp_ns, std::optional<std::string_view> key,
           std::span<const HeaderView> headers, std::string_view payload) {
    char fixed[16];
    PutFixed64(fixed, offset);
    PutFixed64(fixed + 8, static_cast<uint64_t>(timestamp_ns));
    checksum_.Update(std::string_view(fixed, sizeof fixed));
    scratch_.clear();
    AppendKeyHeadersPayload(&scratch_, key, headers, payload);
    checksum_.Update(scratch_);
  }
  uint64_t value() const { return checksum_.Digest(); }

 private:
  StreamingChecksum checksum_;
  std::string scratch_;
};

}  // namespace

Result<BatchDigest> DigestPresetBatch(const Batch::Impl& batch) {
  if (!batch.preset() || batch.event_count() == 0) {
    return Status::InvalidArgument("only a non-empty batch with preset offsets (AddAt) has a digest before it is appended");
  }
  EventDigest digest;
  BatchDigest out;
  out.first_offset = batch.first_offset();
  std::vector<HeaderView> headers;
  EVLOG_RETURN_IF_ERROR(batch.ForEachFrame([&](const Batch::Impl::FrameView& frame) {
    const char* p = frame.body.data();
    const char* end = p + frame.body.size();
    for (uint32_t i = 0; i < frame.event_count; ++i) {
      EventRecord record;
      if (!DecodeEventRecord(&p, end, &record, &headers)) {
        return Status::Corruption("a batch holds a record it cannot decode (a bug in Batch)");
      }
      const uint64_t offset = frame.base_offset + record.offset_delta;
      digest.Add(offset, EventTimestamp(frame.first_timestamp, record.timestamp_delta), record.key, headers,
                 record.payload);
      out.end_offset = offset + 1;
    }
    return Status::Ok();
  }));
  out.digest = digest.value();
  return out;
}

Result<uint64_t> DigestLogRange(const Log& log, uint64_t first_offset, uint64_t end_offset) {
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, log.NewReader());
  EVLOG_RETURN_IF_ERROR(reader->SeekToOffset(first_offset));
  EventDigest digest;
  Event event;
  while (true) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&event));
    if (!more || event.offset >= end_offset) break;
    digest.Add(event.offset, event.timestamp_ns, event.key, event.headers, event.payload);
  }
  return digest.value();
}

}  // namespace eventlog
