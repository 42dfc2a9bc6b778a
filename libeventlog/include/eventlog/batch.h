// A batch: the unit of atomicity. Events added to one batch become visible together or not
// at all. Memory stays bounded however large the batch grows: past a threshold the encoded
// frames spill to an unlinked temporary file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "eventlog/event.h"
#include "eventlog/status.h"

namespace eventlog {

class Batch {
 public:
  // Use Log::NewBatch(), which supplies the log's limits. `frame_body_bytes` is where the
  // batch starts a new frame (a writer policy, not a format rule; tests make it small).
  Batch(uint64_t max_event_bytes, uint64_t max_batch_bytes, std::string spill_dir,
        uint64_t frame_body_bytes = kDefaultFrameBodyBytes);
  static constexpr uint64_t kDefaultFrameBodyBytes = 256 * 1024;
  ~Batch();
  Batch(Batch&&) noexcept;
  Batch& operator=(Batch&&) noexcept;

  // Copies the event into the batch. kInvalidArgument if the event is larger than the
  // log's maximum event size or the batch would exceed a segment; the batch is unchanged.
  Status Add(const EventInput& event);

  uint64_t event_count() const;
  uint64_t encoded_bytes() const;  // bytes the batch occupies in a segment
  bool empty() const { return event_count() == 0; }
  void Clear();

  class Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlog
