// A digest of a batch's events that can be computed again from the log once the batch is
// committed. The group store records it before an import's batch is appended, so that
// after a crash it can tell whether that batch, and not some other one, reached the log
// (format-spec §11.1).
//
// The digest covers each event's offset, timestamp, key, headers and payload, in order, but
// not how the events were cut into frames: the log is free to frame them differently from
// the batch (it never does today, but nothing in the format requires it).
#pragma once

#include <cstdint>

#include "batch_impl.h"
#include "eventlog/log.h"

namespace eventlog {

struct BatchDigest {
  uint64_t first_offset = 0;  // of the first event
  uint64_t end_offset = 0;    // of the last event + 1
  uint64_t digest = 0;
};

// For a batch built with AddAt() (preset offsets and timestamps); kInvalidArgument for an
// empty batch or one built with Add(), whose offsets are not known before it is appended.
Result<BatchDigest> DigestPresetBatch(const Batch::Impl& batch);

// The digest of the events the log holds in [first_offset, end_offset): equal to the
// batch's exactly when those events are the batch's (up to XXH3-64 collisions).
Result<uint64_t> DigestLogRange(const Log& log, uint64_t first_offset, uint64_t end_offset);

}  // namespace eventlog
