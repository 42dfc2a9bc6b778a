// Where `evlog import` puts the events, and how they all become visible at once:
//   - a new log (LOG missing, or an empty directory) is built in a temporary sibling
//     directory LOG.import-XXXXXX, made durable, and renamed into place only at the end,
//     after which the parent directory is fsynced. Until then LOG does not exist; an
//     interrupted import leaves only the LOG.import-* directory, which may be deleted;
//   - into an existing log all events are one atomic Batch (the library spills a large
//     batch to disk), so together they must fit in one segment of that log. Into an
//     existing empty log, the batch and the group positions commit as one unit
//     (ConsumerGroups::AppendWithPositions).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "codec/import_source.h"

namespace evlog {

class ImportTarget {
 public:
  struct State {
    bool is_new = false;
    bool empty = false;  // no event stored (always true for a new log)
    uint64_t next_offset = 0;
    uint64_t max_event_bytes = 0;  // of the existing log; 0 for a new one
  };

  // Inspects LOG: a new log, or an existing one (opened, with recovery notes printed as
  // `evlog: import: note: ...`). kInvalidArgument if LOG exists and is not an evlog log.
  static eventlog::Result<std::unique_ptr<ImportTarget>> Open(const std::string& log_dir);
  virtual ~ImportTarget() = default;  // an uncommitted import leaves nothing behind

  virtual const State& state() const = 0;
  // The events the log stores now (0 for a new one); reads every segment of an existing log.
  virtual eventlog::Result<uint64_t> CountStoredEvents() const = 0;

  // preserve: events are added with their own offsets and timestamps (Batch::AddAt).
  // `first_offset` and `limits` are used only when a new log is created.
  virtual eventlog::Status Begin(bool preserve, uint64_t first_offset, const eventlog::LogLimits& limits) = 0;
  virtual eventlog::Status Add(const ImportEvent& event) = 0;

  // Makes every added event visible at once, then sets the given group positions (each
  // clamped to the log's next offset). Returns the log's offsets after the import.
  virtual eventlog::Result<eventlog::LogInfo> Commit(const std::vector<eventlog::GroupInfo>& groups) = 0;
};

}  // namespace evlog
