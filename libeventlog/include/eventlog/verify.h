// Full verification of a log (format-spec §5.6, §6.4, §7, §11): every checksum, the chain,
// offset continuity, segment headers, indexes and the consumer-group store.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "eventlog/log.h"
#include "eventlog/status.h"

namespace eventlog {

struct VerifyProblem {
  enum class Kind {
    kCorruption,  // committed data is damaged: exit status "corruption"
    kTornTail,    // bytes beyond the committed end that recovery would cut
    kIndex,       // an index file is missing entries, stale or damaged (a rebuildable cache)
    kQuarantined, // offsets whose damaged segment a forced repair moved to LOG/quarantine/
  };
  Kind kind = Kind::kCorruption;
  std::string file;       // name within the log directory
  uint64_t position = 0;  // byte position in `file`
  std::string message;    // what is wrong, with the affected offsets where known
};

struct VerifyReport {
  uint64_t segments = 0;
  uint64_t frames = 0;
  uint64_t events = 0;
  uint64_t bytes = 0;  // segment bytes read
  uint64_t groups = 0;
  std::vector<VerifyProblem> problems;
  bool clean() const { return problems.empty(); }
  bool corrupt() const;  // any problem of kind kCorruption
};

// Reads everything; never modifies the log. An error status means verification itself
// could not run (e.g. an I/O error); damage is reported in VerifyReport::problems.
// `progress`, if given, is called after each segment with the segment bytes checked so far
// and the total.
using VerifyProgress = std::function<void(uint64_t done_bytes, uint64_t total_bytes)>;
Result<VerifyReport> VerifyLog(const Log& log, const VerifyProgress& progress = nullptr);

}  // namespace eventlog
