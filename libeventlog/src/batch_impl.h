// Batch internals shared with the writer: the batch is kept as finished frame bodies
// (offsets relative to the frame, timestamps relative to the frame's first event), so that
// the commit path only fills in each frame's header.
//
// Two kinds of batch exist, never mixed: events added with Add() get their offsets and
// their timestamp (one for the whole batch) from the writer at commit; events added with
// AddAt() carry preset offsets and timestamps (import), which the writer keeps.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "eventlog/batch.h"

namespace eventlog {

class Batch::Impl {
 public:
  Impl(uint64_t max_event_bytes, uint64_t max_batch_bytes, std::string spill_dir, uint64_t frame_body_bytes);
  ~Impl();

  Status Add(const EventInput& event);
  Status AddAt(const EventInput& event, uint64_t offset, int64_t timestamp_ns);
  void Clear();

  uint64_t event_count() const { return event_count_; }
  uint64_t encoded_bytes() const;
  // Frames not yet taken (TakeFinishedFrames), the one being filled included.
  size_t frame_count() const { return frames_.size() + (current_count_ > 0 ? 1 : 0); }

  // True if the events were added with AddAt(); then the first event's offset and
  // timestamp are known, and every frame below carries its own.
  bool preset() const { return preset_; }
  uint64_t first_offset() const { return first_offset_; }
  int64_t first_timestamp() const { return first_timestamp_; }

  // One frame to write. For a batch built with Add(), only body and event_count are set
  // (the writer assigns offsets and the timestamp); for a preset batch every field is.
  struct FrameView {
    std::string_view body;
    uint32_t event_count = 0;
    uint64_t base_offset = 0;
    uint32_t last_offset_delta = 0;
    int64_t first_timestamp = 0;
    int64_t last_timestamp = 0;
  };

  // Calls `fn` for each frame in order. Spilled bodies are read back one at a time, so
  // memory stays bounded.
  using FrameVisitor = std::function<Status(const FrameView& frame)>;
  Status ForEachFrame(const FrameVisitor& fn) const;

  // Hands the finished frames, all but the last `keep` of them, to `fn` in order, and then
  // forgets their bodies. The batch still counts their events and bytes (event_count(),
  // encoded_bytes() and the limit on a batch's size); frame_count() and ForEachFrame()
  // cover only what is left. For a batch written while it is built (AtomicAppend).
  // A frame handed to `fn` is forgotten even if `fn` fails.
  Status TakeFinishedFrames(size_t keep, const FrameVisitor& fn);
  // Never spills: for a batch whose frames are taken as they finish, where a spill would
  // only write a frame larger than the threshold out and read it straight back.
  void NeverSpill() { spill_allowed_ = false; }

 private:
  struct FrameMeta {
    uint32_t event_count = 0;
    uint64_t base_offset = 0;
    uint32_t last_offset_delta = 0;
    int64_t first_timestamp = 0;
    int64_t last_timestamp = 0;
  };
  struct FinishedFrame {
    std::string body;            // empty once spilled
    uint64_t spill_offset = 0;
    uint64_t size = 0;
    FrameMeta meta;
  };
  Status CheckSizes(uint64_t record, bool new_frame) const;
  Status CheckPreset(uint64_t offset, int64_t timestamp_ns, bool* new_frame, uint64_t* record,
                     const EventInput& event) const;
  void FinishFrame();
  void StartFrame();
  Status SpillFinishedFrames();
  Status ReadSpilled(const FinishedFrame& frame, std::string* scratch) const;
  static FrameView ViewOf(std::string_view body, const FrameMeta& meta);

  uint64_t max_event_bytes_;
  uint64_t max_batch_bytes_;
  uint64_t frame_body_bytes_;
  std::string spill_dir_;
  std::vector<FinishedFrame> frames_;
  std::string current_;
  FrameMeta current_meta_;          // event_count is current_count_
  std::vector<std::string> spare_;  // emptied bodies kept for their capacity (no regrowth)
  uint32_t current_count_ = 0;
  uint64_t event_count_ = 0;
  uint64_t finished_bytes_ = 0;   // aligned on-disk size of finished frames
  uint64_t in_memory_bytes_ = 0;  // bodies of finished frames not yet spilled
  int spill_fd_ = -1;
  uint64_t spill_size_ = 0;
  bool preset_ = false;
  bool spill_allowed_ = true;
  uint64_t first_offset_ = 0;     // preset: of the first event
  int64_t first_timestamp_ = 0;
  uint64_t last_offset_ = 0;      // preset: of the last event added
  int64_t last_timestamp_ = 0;
};

}  // namespace eventlog
