// What `replay` hands its command for an event, or a batch of events: the bytes on its
// stdin and its environment.
//
// One event: stdin is the payload, as is (no newline added). The environment has
//   EVLOG_OFFSET, EVLOG_TIMESTAMP (RFC 3339, UTC, nanoseconds, as `tail --json`),
//   EVLOG_KEY (absent for an event without a key), EVLOG_HEADER_<NAME> per header,
//   EVLOG_ATTEMPT (1 for the first attempt), EVLOG_LOG, and EVLOG_GROUP (with -g).
// A batch (--batch): stdin is one `tail --json` envelope per event, each ending in a
// newline; EVLOG_OFFSET is the first event's offset and EVLOG_COUNT the number of events;
// keys, headers and timestamps are in the envelopes, not in the environment.
//
// <NAME> is the header name upper-cased, with every byte outside [A-Za-z0-9_] replaced by
// '_'. Names that map to the same variable (or a repeated header) collide: the last header
// wins. A value is cut at its first NUL byte, which an environment cannot hold. Variables
// named EVLOG_* that evlog itself inherited are removed, so each one describes this event.
//
// Values too large for the environment (exec fails with E2BIG when one variable exceeds
// 128 KiB, or all of them about 2 MiB) travel in files: a value above kMaxVariableBytes,
// and then the largest ones while the event's values exceed kMaxEventVariableBytes in all,
// are written whole (NUL bytes included) to an anonymous file, and the command gets
// <NAME>_FILE=/dev/fd/N instead of <NAME>. The file is open in the command (and what it
// starts) until it exits. A header name longer than kMaxHeaderNameBytes cannot name a
// variable: such an event cannot be delivered (kInvalidArgument).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventlog/event.h"
#include "eventlog/status.h"

namespace evlog {

// An event copied out of a reader, whose views last only until the reader's next call.
struct OwnedEvent {
  uint64_t offset = 0;
  int64_t timestamp_ns = 0;
  std::optional<std::string> key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload;

  static OwnedEvent CopyOf(const eventlog::Event& event);

  // A view of this event; its headers point into *header_views, which this call fills.
  // Valid while both are unchanged.
  eventlog::Event View(std::vector<eventlog::HeaderView>* header_views) const;
};

struct ReplayContext {
  std::string log_path;
  std::optional<std::string> group;
  bool batch = false;  // --batch: JSON lines and EVLOG_COUNT
};

// "offset 7", or "offsets 7..9" for a batch: how messages name what is being delivered.
std::string DescribeOffsets(std::span<const OwnedEvent> events);

// "EVLOG_HEADER_" + the header name made a valid variable name (see above).
std::string HeaderVariable(std::string_view header_name);

// This process's environment without EVLOG_* variables.
std::vector<std::string> InheritedEnvironment();

inline constexpr size_t kMaxVariableBytes = 64 << 10;
inline constexpr size_t kMaxEventVariableBytes = 512 << 10;
inline constexpr size_t kMaxHeaderNameBytes = 4 << 10;

// The anonymous files holding values too large for the environment; closed on destruction.
class ValueFiles {
 public:
  ValueFiles() = default;
  ValueFiles(const ValueFiles&) = delete;
  ValueFiles& operator=(const ValueFiles&) = delete;
  ~ValueFiles();
  // A file holding `value`, open without FD_CLOEXEC so that the command inherits it; its path.
  eventlog::Result<std::string> Add(std::string_view value);

 private:
  std::vector<int> fds_;
};

// The command's whole environment for `attempt` (1-based) at delivering `events`; values
// that travel in files are added to *files (with all_in_files, the key and every header,
// however small).
eventlog::Result<std::vector<std::string>> CommandEnvironment(const std::vector<std::string>& inherited,
                                                              std::span<const OwnedEvent> events,
                                                              const ReplayContext& context, int attempt,
                                                              ValueFiles* files, bool all_in_files = false);

// The command's stdin: the payload of the single event, or JSON lines for a batch.
eventlog::Result<std::string> CommandInput(std::span<const OwnedEvent> events,
                                           const ReplayContext& context);

}  // namespace evlog
