// Salvage: an operator's last resort for a damaged log (`evlog export --salvage`).
//
// The batch stays the unit of trust: the events of every valid batch are handed out as
// verified, exactly as a Reader returns them. From a damaged batch (a checksum mismatch, a
// broken chain, a batch cut short) nothing can be trusted, but its event records often still
// decode; those are handed out as unverified, in log order, with where they came from. Any
// field of an unverified event, offset and timestamp included, may be wrong.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "eventlog/event.h"
#include "eventlog/log.h"
#include "eventlog/status.h"

namespace eventlog {

// One damaged stretch of a segment and what was recovered from it.
struct SalvageSource {
  std::string file;          // segment file name, e.g. 00000000000000004096.seg
  uint64_t position = 0;     // byte where the damage was found
  uint64_t resume = 0;       // byte where valid frames resume (or the segment's readable end)
  std::string problem;       // what is wrong there
  uint64_t events = 0;       // event records that still decoded from the stretch
};

struct SalvageReport {
  uint64_t verified_events = 0;
  uint64_t unverified_events = 0;
  std::vector<SalvageSource> damaged;
};

// `verified` is false for events decoded from damaged batches. The views in `event` are valid
// only during the call. An error returned by the visitor stops the salvage and is returned.
using SalvageVisitor = std::function<Status(const Event& event, bool verified)>;

// Reads every segment (the active one up to the committed end; all of it if HEAD cannot be
// read) and never modifies the log. Fails only on I/O errors or the visitor's error.
Result<SalvageReport> SalvageLog(const Log& log, const SalvageVisitor& visit);

}  // namespace eventlog
