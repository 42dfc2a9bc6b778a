#include "term/report.h"

#include <fmt/core.h>

#include <cstdio>
#include <string>

#include "term/exit_codes.h"

namespace evlog {
namespace {

bool quiet = false;

}  // namespace

void PrintError(std::string_view command, std::string_view message) {
  fmt::print(stderr, "evlog: {}: {}\n", command, message);
}

void SetQuiet(bool value) { quiet = value; }

bool Quiet() { return quiet; }

void PrintNote(std::string_view command, std::string_view message) {
  if (!quiet) PrintError(command, message);
}

void PrintRecoveryNotes(std::string_view command, const eventlog::Log& log) {
  for (const std::string& note : log.recovery_notes()) PrintNote(command, "note: " + note);
}

void PrintGroupJoinWarnings(std::string_view command, std::string_view group, const eventlog::GroupJoin& join) {
  if (!join.was_past_end) return;
  PrintError(command, fmt::format("warning: group {} was at offset {}, past the log's end ({}): the log has lost "
                                  "events the group had processed (restored from an older backup, or appended "
                                  "with --sync none before a power loss?); the group now reads from offset {}, "
                                  "where new events go",
                                  group, *join.was_past_end, join.group.position, join.group.position));
}

int ExitCodeFor(const eventlog::Status& status) {
  switch (status.code()) {
    case eventlog::StatusCode::kOk: return kExitOk;
    case eventlog::StatusCode::kConflict: return kExitConflict;
    case eventlog::StatusCode::kCorruption: return kExitCorruption;
    default: return kExitError;
  }
}

int ReportFailure(std::string_view command, const eventlog::Status& status) {
  PrintError(command, status.message());
  return ExitCodeFor(status);
}

int ReportUsageError(std::string_view command, std::string_view message, std::string_view subcommand) {
  PrintError(command, message);
  PrintError(command, fmt::format("run 'evlog {} --help' for usage", subcommand));
  return kExitUsage;
}

}  // namespace evlog
