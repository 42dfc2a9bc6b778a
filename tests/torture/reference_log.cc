#include "reference_log.h"

#include <doctest/doctest.h>

#include "eventlog/log.h"
#include "format.h"
#include "format_blocks.h"
#include "segment.h"

namespace eventlog::torture {

namespace {

// The batches, in turn: one small event; six events over many frames; three small events in
// one frame; ten events over many frames.
struct Shape {
  uint32_t events;
  size_t size;
  uint64_t frame_body_bytes;
};
constexpr Shape kShapes[] = {{1, 100, 256 * 1024}, {6, 120, 200}, {3, 40, 256 * 1024}, {10, 60, 150}};

}  // namespace

void ReferenceLog::Install(testing::FaultFileSystem& fs, const std::map<std::string, std::string>& replaced) const {
  REQUIRE(fs.CreateDir(kDir).ok());
  for (const auto& [path, bytes] : files) {
    auto it = replaced.find(path);
    fs.SetContents(path, it == replaced.end() ? bytes : it->second);
  }
}

std::vector<LogEvent> ReferenceLog::EventsBelow(uint64_t active_end) const {
  std::vector<LogEvent> out;
  for (const ReferenceBatch& b : batches) {
    if (b.segment_base == active_base && b.end_position > active_end) break;
    out.insert(out.end(), b.events.begin(), b.events.end());
  }
  return out;
}

ReferenceLog BuildReferenceLog(uint64_t producer, uint64_t segment_bytes, uint64_t active_bytes) {
  REQUIRE(active_bytes + 1024 < segment_bytes);
  testing::FaultFileSystem fs;
  ReferenceLog ref;
  REQUIRE(fs.CreateDir(ReferenceLog::kDir).ok());
  auto opened = Log::Open(ReferenceLog::kDir, {.create_if_missing = true, .limits = {.segment_bytes = segment_bytes}, .fs = &fs});
  REQUIRE(opened.has_value());
  Log& log = **opened;
  ref.head_path = std::string(ReferenceLog::kDir) + "/" + std::string(format::kHeadFileName);
  const uint64_t max_event_bytes = log.Info()->max_event_bytes;
  uint64_t offset = 0;
  std::string previous_head;
  for (uint64_t seq = 0;; ++seq) {
    const Shape& shape = kShapes[seq % 4];
    Batch batch(max_event_bytes, segment_bytes - format::segment::kHeaderSize, ReferenceLog::kDir, shape.frame_body_bytes);
    ReferenceBatch b;
    for (uint32_t i = 0; i < shape.events; ++i, ++offset) {
      b.events.push_back({offset, EncodePayload({producer, seq, i, shape.events}, shape.size)});
      REQUIRE(batch.AddAt({.payload = b.events.back().payload}, offset, 1'000'000 + static_cast<int64_t>(offset) * 1000).ok());
    }
    REQUIRE(log.Append(batch).has_value());
    auto segments = ListSegments(&fs, ReferenceLog::kDir);
    REQUIRE(segments.has_value());
    b.segment_base = segments->back();
    const std::string path = std::string(ReferenceLog::kDir) + "/" + SegmentFileName(b.segment_base);
    b.end_position = fs.Contents(path)->size();
    if (segments->size() == 2 && ref.stale_head.empty()) {
      ref.stale_head = previous_head;
      ref.active_base = b.segment_base;
      ref.active_path = path;
    }
    previous_head = *fs.Contents(ref.head_path);
    ref.batches.push_back(std::move(b));
    if (!ref.stale_head.empty() && ref.batches.back().end_position >= active_bytes) break;
  }
  auto names = fs.ListDir(ReferenceLog::kDir);
  REQUIRE(names.has_value());
  for (const std::string& name : *names) {
    const std::string path = std::string(ReferenceLog::kDir) + "/" + name;
    ref.files[path] = *fs.Contents(path);
  }
  auto meta = DecodeMeta(ref.files.at(std::string(ReferenceLog::kDir) + "/META"), "META");
  REQUIRE(meta.has_value());
  HeadRecord head;
  REQUIRE(DecodeHead(ref.stale_head, meta->log_id, &head));
  head.sequence += 1;
  head.segment_base = ref.active_base;
  head.committed_end = format::segment::kHeaderSize;
  ref.rolled_head = EncodeHead(head, meta->log_id);
  return ref;
}

}  // namespace eventlog::torture
