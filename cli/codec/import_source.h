// The input of `evlog import`: an archive (format-spec §12, recognised by its magic) or JSON
// envelopes, one per line, as `export --format ndjson` and `tail --json` write them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/archive.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/event.h"
#include "eventlog/status.h"

namespace evlog {

// One event read from the input, with its original offset and timestamp when the input
// carries them (always in an archive; in JSON when the envelope has "offset" and
// "timestamp"). Views are valid until the next ImportSource::Next().
struct ImportEvent {
  eventlog::EventInput event;
  std::optional<uint64_t> offset;
  int64_t timestamp_ns = 0;
};

class ImportSource {
 public:
  virtual ~ImportSource() = default;

  // Detects the format from the first bytes read from `fd`. JSON lines longer than
  // `max_line_bytes` are refused. Errors (empty input, an archive header that fails its
  // checks, input that is neither format) say what the input is not.
  static eventlog::Result<std::unique_ptr<ImportSource>> Open(int fd, size_t max_line_bytes);

  // False after the last event. Errors name the line or the archive byte position.
  virtual eventlog::Result<bool> Next(ImportEvent* event) = 0;

  // After the last event: the archive's group positions, once its trailer's checksum has
  // verified everything read (empty for JSON). Until this returns OK nothing read may be
  // made visible.
  virtual eventlog::Result<std::vector<eventlog::GroupInfo>> Finish() = 0;

  // The archive header, or nullptr for JSON input.
  virtual const eventlog::ArchiveInfo* archive() const = 0;
};

// Reads "offset" and "timestamp" from a JSON envelope: both present (an unsigned integer
// and an RFC 3339 string, as tail --json writes them) gives the offset; neither, or only
// one, gives nullopt. kInvalidArgument for a malformed value.
eventlog::Status ReadEnvelopePosition(std::string_view json, std::optional<uint64_t>* offset,
                                      int64_t* timestamp_ns);

}  // namespace evlog
