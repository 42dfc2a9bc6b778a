// Archives: a self-describing, checksummed byte stream holding a range of a log's events
// with their original offsets and timestamps, plus consumer-group positions, for lossless
// migration between logs (`evlog export --format archive`, `evlog import`). The byte
// layout is format-spec §12; this is the only code that knows it.
//
//   eventlog::ArchiveWriter writer(sink);           // sink: Status(std::string_view)
//   writer.Begin(info);                             // info.event_count must be exact
//   for (...) writer.Add(event);                    // ascending offsets in the range
//   writer.Finish(groups);                          // group positions and the checksum
//
//   auto reader = eventlog::ArchiveReader::Open(source);  // source: Result<size_t>(span)
//   while (*(*reader)->Next(&event)) ...;
//   auto groups = (*reader)->Finish();              // only now is the archive verified
//
// A reader hands out events before the trailer's checksum has been checked: a consumer
// that must not act on a damaged archive (import) keeps what it read invisible until
// Finish() returns OK.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/consumer_groups.h"
#include "eventlog/event.h"
#include "eventlog/status.h"

namespace eventlog {

// The archive header (format-spec §12.2).
struct ArchiveInfo {
  std::string log_id;           // the source log's Log::log_id(): 32 lower-case hex digits
  uint64_t from_offset = 0;     // first offset of the exported range
  uint64_t end_offset = 0;      // offset after the range (exclusive)
  uint64_t event_count = 0;     // events in the archive, all within [from_offset, end_offset)
  int64_t created_ns = 0;       // when the archive was written
  uint64_t segment_bytes = 0;   // the source log's limits (LogInfo), for creating a copy
  uint64_t max_event_bytes = 0;
};

// Receives the archive's bytes in order; an error stops the writer.
using ArchiveSink = std::function<Status(std::string_view bytes)>;
// Fills the buffer with up to buffer.size() bytes of the archive; returns how many, and 0
// only at the end of the input.
using ArchiveSource = std::function<Result<size_t>(std::span<char> buffer)>;

// True if `prefix` (the first bytes of some input, at least 8 of them to be conclusive)
// begins with the archive magic. Used to tell an archive from JSON input.
bool HasArchiveMagic(std::string_view prefix);

class ArchiveWriter {
 public:
  explicit ArchiveWriter(ArchiveSink sink);
  ~ArchiveWriter();

  // Writes the header. kInvalidArgument if the fields are inconsistent (an empty range
  // holding events, a log id that is not 32 hex digits, limits out of format-spec §3's
  // ranges).
  Status Begin(const ArchiveInfo& info);

  // Writes one event. kInvalidArgument if its offset is outside the range or not above the
  // previous one, its timestamp is below the previous one, or more events arrive than the
  // header announced.
  Status Add(const Event& event);

  // Writes the groups and the trailer. Positions are clamped into [from_offset,
  // end_offset], which is where they stand relative to the exported events; groups are
  // written sorted by name. kInvalidArgument if fewer events were added than announced (the
  // log changed under the exporter) or a name is empty or longer than 255 bytes.
  Status Finish(std::span<const GroupInfo> groups);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

class ArchiveReader {
 public:
  // Reads and checks the header. kInvalidArgument if the input does not start with the
  // archive magic (not an archive); kCorruption if it is cut short or the header checksum
  // fails; kCorruption with "unsupported" in the message for a checksum-valid header of a
  // newer version or with unknown flags. Errors are prefixed "archive: ".
  static Result<std::unique_ptr<ArchiveReader>> Open(ArchiveSource source);
  ~ArchiveReader();

  const ArchiveInfo& info() const;

  // Reads the next event into *event; false after the last one. The views in *event are
  // valid until the next call on this reader. kCorruption for an entry that is cut short,
  // does not decode, or breaks the order or range rules (naming the event's number and the
  // byte position).
  Result<bool> Next(Event* event);

  // Reads the groups and the trailer after the last event and verifies the checksum over
  // the whole archive and that nothing follows it. Only an OK return means the events
  // handed out were the archive's true content. kCorruption otherwise.
  Result<std::vector<GroupInfo>> Finish();

 private:
  class Impl;
  explicit ArchiveReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlog
