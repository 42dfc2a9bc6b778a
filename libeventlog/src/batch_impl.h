// Batch internals shared with the writer: the batch is kept as finished frame bodies
// (offsets relative to the frame, timestamps relative to the commit time), so that the
// commit path only fills in each frame's header.
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
  void Clear();

  uint64_t event_count() const { return event_count_; }
  uint64_t encoded_bytes() const;
  size_t frame_count() const { return frames_.size() + (current_count_ > 0 ? 1 : 0); }

  // Calls `fn` for each frame body in order, with the number of events in it. Spilled
  // bodies are read back one at a time, so memory stays bounded.
  using FrameVisitor = std::function<Status(std::string_view body, uint32_t event_count)>;
  Status ForEachFrame(const FrameVisitor& fn) const;

 private:
  struct FinishedFrame {
    std::string body;            // empty once spilled
    uint64_t spill_offset = 0;
    uint64_t size = 0;
    uint32_t event_count = 0;
  };
  void FinishFrame();
  void StartFrame();
  Status SpillFinishedFrames();

  uint64_t max_event_bytes_;
  uint64_t max_batch_bytes_;
  uint64_t frame_body_bytes_;
  std::string spill_dir_;
  std::vector<FinishedFrame> frames_;
  std::string current_;
  std::vector<std::string> spare_;  // emptied bodies kept for their capacity (no regrowth)
  uint32_t current_count_ = 0;
  uint64_t event_count_ = 0;
  uint64_t finished_bytes_ = 0;   // aligned on-disk size of finished frames
  uint64_t in_memory_bytes_ = 0;  // bodies of finished frames not yet spilled
  int spill_fd_ = -1;
  uint64_t spill_size_ = 0;
};

}  // namespace eventlog
