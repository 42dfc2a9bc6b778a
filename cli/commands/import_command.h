// `evlog import LOG [FILE]`: reads an archive or JSON envelopes (from FILE or stdin) into
// LOG, all or nothing. Into a new or empty log, offsets, timestamps and (from an archive)
// consumer-group positions are kept. A log that holds events is refused unless --append (a
// re-run migration script would import everything twice); with it the events are appended
// with new offsets and timestamps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace evlog {

struct ImportCommandOptions {
  std::string log_dir;
  std::optional<std::string> input;  // FILE; stdin if absent or "-"
  bool no_groups = false;
  bool preserve_offsets = false;  // fail rather than assign new offsets
  bool append = false;            // import into a log that already holds events
  std::optional<uint64_t> segment_bytes;    // for a new log
  std::optional<uint64_t> max_event_bytes;  // for a new log
};

CLI::App* RegisterImportCommand(CLI::App& parent, ImportCommandOptions& options);

// Returns the exit status (exit_codes.h).
int RunImportCommand(const ImportCommandOptions& options);

}  // namespace evlog
