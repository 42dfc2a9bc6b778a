// --segment-bytes and --max-event-bytes, the limits a command gives a log it creates
// (append, import).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace evlog {

// Adds both options, `help` saying when they apply. A size out of the range the format
// allows is a usage error (exit 2), as for every other option, not a failure to create the
// log; 0 (the library's "its default") is refused too. Whether --max-event-bytes fits the
// segment size is the library's check, when it creates the log.
void AddLogLimitOptions(CLI::App& app, std::optional<uint64_t>& segment_bytes,
                        std::optional<uint64_t>& max_event_bytes, const std::string& segment_help,
                        const std::string& max_event_help);

}  // namespace evlog
