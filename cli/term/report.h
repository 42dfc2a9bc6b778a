// Messages to the user. stdout carries only data; everything else goes to stderr as
// "evlog: COMMAND: message", so it is clear which tool and subcommand is speaking.
#pragma once

#include <string_view>

#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "eventlog/status.h"

namespace evlog {

void PrintError(std::string_view command, std::string_view message);

// -q/--quiet: notes are dropped and progress lines are not drawn. A note is a message that
// only informs, about a run that does what was asked: repairs made on opening ("note: ..."),
// summaries (replay, apply, capture), "waiting for a lock" lines and dry-run reminders.
// Errors and warnings (an option that had no effect) are never silenced.
void SetQuiet(bool quiet);
bool Quiet();
// Prints "evlog: COMMAND: message" as PrintError does, unless quiet.
void PrintNote(std::string_view command, std::string_view message);

// The exit status for a failed library call (exit_codes.h).
int ExitCodeFor(const eventlog::Status& status);

// Prints the repairs made while opening `log` (a torn tail cut) as "note:" lines.
void PrintRecoveryNotes(std::string_view command, const eventlog::Log& log);

// Warns when ConsumerGroups::Join() moved `group` back from past the log's end: the log
// lost events the group had acked, and those offsets are being used again.
void PrintGroupJoinWarnings(std::string_view command, std::string_view group, const eventlog::GroupJoin& join);

// Prints the status's message and returns its exit status.
int ReportFailure(std::string_view command, const eventlog::Status& status);

// A bad command line: prints `message` and where to read about the usage of `subcommand`
// (its path, "capture postgres"), and returns kExitUsage.
int ReportUsageError(std::string_view command, std::string_view message, std::string_view subcommand);

}  // namespace evlog
