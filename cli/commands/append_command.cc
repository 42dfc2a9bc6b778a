#include "commands/append_command.h"

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "commands/append_session.h"
#include "args/cli_validators.h"
#include "eventlog/log.h"
#include "term/exit_codes.h"
#include "args/lock_options.h"
#include "args/log_limit_options.h"
#include "term/report.h"
#include "args/number_option.h"
#include "args/size_parse.h"

namespace evlog {
namespace {

constexpr char kAppendCommand[] = "append";

void AddFramingOptions(CLI::App& app, AppendCommandOptions& o) {
  auto* null = app.add_flag("-0,--null", o.null_delimited,
                            "Records are NUL-terminated instead of newline-terminated");
  auto* raw = app.add_flag("--raw", o.raw, "All of stdin is one event (even if empty)");
  auto* json = app.add_flag("--json", o.json,
                            "Each line is a JSON envelope as printed by `tail --json`, or kcat's "
                            "-J envelope; offsets and timestamps in it are ignored, blank lines "
                            "skipped");
  null->excludes(raw)->excludes(json);
  raw->excludes(json);
  app.add_option("-K,--key-delimiter", o.key_delimiter,
                 "Split each record at the first DELIM into key and payload (a record without "
                 "DELIM has no key)")
      ->type_name("DELIM")
      ->check(CLI::Validator([](std::string& s) { return s.empty() ? "must not be empty" : ""; },
                             "", ""))
      ->excludes(json);
  app.add_option("-H,--header", o.headers, "Add header NAME=VALUE to every event (repeatable)")
      ->type_name("NAME=VALUE")
      ->check(HeaderValidator());
}

void AddCommitOptions(CLI::App& app, AppendCommandOptions& o) {
  app.add_flag("--atomic", o.atomic,
               "All of stdin is one atomic batch: appended only if stdin ends cleanly and every "
               "record is valid, otherwise nothing is");
  AddWholeNumberOption(app, "--expect-next", [&o](uint64_t n) { o.expect_next = n; },
                       "Append only if the log's next offset is N, else append nothing and exit 3; implies "
                       "--atomic (the whole input is one batch)")
      ->type_name("N");
  app.add_option("--sync", o.sync,
                 "always: commit and sync every event; batch: commit in batches, synced; none: "
                 "do not fsync (a power loss may take acknowledged events)")
      ->type_name("MODE")
      ->check(CLI::IsMember({"always", "batch", "none"}))
      ->capture_default_str();
  app.add_flag(
      "-p,--print-offsets", o.print_offsets,
      "Print each event's offset on stdout once appended (and synced, unless --sync none)");
}

SyncMode ToSyncMode(const std::string& sync) {
  if (sync == "always") return SyncMode::kAlways;
  if (sync == "none") return SyncMode::kNone;
  return SyncMode::kBatch;
}

// Whether stdin is a regular file with at least `bytes` left to read: input that is there
// to be read, not a producer that may pause.
bool StdinIsFileOfAtLeast(uint64_t bytes) {
  struct stat st;
  if (fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  const off_t at = lseek(STDIN_FILENO, 0, SEEK_CUR);
  return at >= 0 && st.st_size >= at && static_cast<uint64_t>(st.st_size - at) >= bytes;
}

AppendPlan MakePlan(const AppendCommandOptions& o, const eventlog::LogInfo& info) {
  // Commit in batches big enough to amortise the fsync, small enough not to hold events
  // back or to fill much of a segment in one frame.
  constexpr uint64_t kMaxCommitBytes = 4 << 20;
  // An atomic batch from a file this large is written while it is read (usually into a
  // segment of its own, Log::BeginAtomicAppend); below it a Batch in memory costs little.
  // A log of small segments streams smaller files: a batch that big is a large part of one.
  const uint64_t stream_atomic_bytes = std::min<uint64_t>(8 << 20, info.segment_bytes / 4);
  const bool atomic = o.atomic || o.expect_next.has_value();
  return {.atomic = atomic,
          .atomic_stream = atomic && !o.raw && StdinIsFileOfAtLeast(stream_atomic_bytes),
          .expect_next = o.expect_next,
          .sync = ToSyncMode(o.sync),
          .print_offsets = o.print_offsets,
          .json = o.json,
          .commit_bytes = std::max<uint64_t>(1, std::min(kMaxCommitBytes, info.segment_bytes / 4)),
          .max_event_bytes = info.max_event_bytes};
}

EventBuilderOptions MakeBuilderOptions(const AppendCommandOptions& o) {
  EventBuilderOptions builder{.json = o.json, .key_delimiter = o.key_delimiter, .headers = {}};
  for (const std::string& header : o.headers) {
    size_t eq = header.find('=');
    builder.headers.emplace_back(header.substr(0, eq), header.substr(eq + 1));
  }
  return builder;
}

RecordSplitter MakeSplitter(const AppendCommandOptions& o, const eventlog::LogInfo& info) {
  Framing framing = o.raw ? Framing::kRaw : o.null_delimited ? Framing::kNul : Framing::kLine;
  // Records far beyond the event limit are only counted, never buffered. The slack covers
  // a key delimiter; a JSON envelope may spell each byte in up to 6 (\u00XX).
  constexpr uint64_t kSlack = 64 << 10;
  uint64_t limit = o.json ? 6 * info.max_event_bytes + kSlack : info.max_event_bytes + kSlack;
  return RecordSplitter(STDIN_FILENO, framing, limit);
}

// Creation-time limits given for a log that already exists have no effect: say so.
void WarnIgnoredLimits(const AppendCommandOptions& o, const eventlog::LogInfo& info) {
  if (o.segment_bytes && *o.segment_bytes != info.segment_bytes) {
    PrintError(kAppendCommand, fmt::format("warning: --segment-bytes ignored: {} exists with segments "
                                     "of {} bytes",
                                     o.log_dir, info.segment_bytes));
  }
  if (o.max_event_bytes && *o.max_event_bytes != 0 && *o.max_event_bytes != info.max_event_bytes) {
    PrintError(kAppendCommand, fmt::format("warning: --max-event-bytes ignored: {} exists with a "
                                     "maximum of {} bytes",
                                     o.log_dir, info.max_event_bytes));
  }
}

// Prints the notes not printed yet; returns how many have been printed in all.
size_t PrintNewRecoveryNotes(const eventlog::Log& log, size_t already_printed) {
  std::vector<std::string> notes = log.recovery_notes();
  for (size_t i = already_printed; i < notes.size(); ++i) PrintNote(kAppendCommand, "note: " + notes[i]);
  return std::max(already_printed, notes.size());
}

}  // namespace

CLI::App* RegisterAppendCommand(CLI::App& parent, AppendCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "append", "Append events read from stdin, one per line by default; creates LOG if missing");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  AddFramingOptions(*app, o);
  AddCommitOptions(*app, o);
  AddLogLimitOptions(*app, o.segment_bytes, o.max_event_bytes,
                     "Segment size when creating LOG (default 64M; ignored if LOG exists)",
                     "Largest event when creating LOG (default 1M; ignored if LOG exists)");
  AddWaitLockOption(*app, o.wait_lock);
  return app;
}

int RunAppendCommand(const AppendCommandOptions& o) {
  eventlog::LogOptions log_options{.create_if_missing = true, .limits = {}, .fs = nullptr};
  if (o.segment_bytes) log_options.limits.segment_bytes = *o.segment_bytes;
  if (o.max_event_bytes) log_options.limits.max_event_bytes = *o.max_event_bytes;
  ApplyLockOptions(log_options, o.wait_lock, kAppendCommand);
  auto log = eventlog::Log::Open(o.log_dir, log_options);
  if (!log) return ReportFailure(kAppendCommand, log.error());
  size_t notes = PrintNewRecoveryNotes(**log, 0);
  auto info = (*log)->Info();
  if (!info) return ReportFailure(kAppendCommand, info.error());
  WarnIgnoredLimits(o, *info);

  RecordSplitter input = MakeSplitter(o, *info);
  EventBuilder builder(MakeBuilderOptions(o));
  OutputBuffer offsets_out(STDOUT_FILENO, 64 << 10);
  AppendSession session(**log, MakePlan(o, *info), input, builder, offsets_out);
  eventlog::Status status = session.Run();
  PrintNewRecoveryNotes(**log, notes);
  if (status.ok()) return kExitOk;
  PrintError(kAppendCommand, status.message());
  PrintError(kAppendCommand, session.DescribeProgress(status));
  return ExitCodeFor(status);
}

}  // namespace evlog
