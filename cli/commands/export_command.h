// `evlog export LOG`: writes a range of events to stdout or a file, as JSON envelopes (one
// per line, as `tail --json` prints them) or as an archive (format-spec §12) that `evlog
// import` turns back into an identical log, consumer-group positions included.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "args/position.h"
#include "codec/event_filter.h"

namespace CLI {
class App;
}

namespace evlog {

struct ExportCommandOptions {
  std::string log_dir;
  std::optional<Position> from;
  std::optional<Position> to;  // inclusive
  std::optional<int64_t> since_ns;
  std::optional<int64_t> until_ns;  // inclusive
  std::string format = "ndjson";    // or "archive"
  std::optional<std::string> output;  // -o FILE; stdout if absent or "-"
  bool salvage = false;  // every decodable event of a damaged log, the unverified ones marked
  // ndjson only: an archive restores a log offset for offset, which a subset cannot.
  EventFilterOptions filter;
};

CLI::App* RegisterExportCommand(CLI::App& parent, ExportCommandOptions& options);

// Returns the exit status (exit_codes.h).
int RunExportCommand(const ExportCommandOptions& options);

}  // namespace evlog
