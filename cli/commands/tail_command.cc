#include "commands/tail_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "args/cli_validators.h"
#include "codec/event_printer.h"
#include "commands/tail_wait.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "term/exit_codes.h"
#include "args/group_options.h"
#include "args/number_option.h"
#include "codec/output_buffer.h"
#include "term/report.h"
#include "codec/time_parse.h"

namespace evlog {
namespace {

constexpr char kTailCommand[] = "tail";
constexpr uint64_t kDefaultLines = 10;
// A follower re-checks between waits whether its reader went away (`tail -f | head`).
constexpr int kWaitSliceMs = 500;

void AddRangeOptions(CLI::App& app, TailCommandOptions& o) {
  AddWholeNumberOption(app, "-n,--lines", [&o](uint64_t n) { o.lines = n; },
                       "Print the last N events of the range (default 10 when neither --from nor --since is "
                       "given)")
      ->type_name("N");
  auto* from =
      app.add_option_function<std::string>(
             "--from", [&o](const std::string& s) { o.from = ParsePosition(s); },
             "Start at POS: an offset, beginning, end, or -N (N before the end); prints to the end")
          ->type_name("POS")
          ->check(PositionValidator());
  app.add_option_function<std::string>(
         "--to", [&o](const std::string& s) { o.to = ParsePosition(s); },
         "Stop after POS (inclusive; end means the last event)")
      ->type_name("POS")
      ->check(PositionValidator());
  AddWholeNumberOption(app, "-c,--count", [&o](uint64_t n) { o.count = n; }, "Stop after N events")
      ->type_name("N");
  auto* since =
      app.add_option_function<std::string>(
             "--since", [&o](const std::string& s) { o.since_ns = ParseTime(s, NowNanos()); },
             "Start at the first event at or after TIME: RFC 3339, YYYY-MM-DD, Unix seconds or "
             "milliseconds, or relative (-30s, -10m, -2h, -1d, -500ms)")
          ->type_name("TIME")
          ->check(TimeValidator());
  app.add_option_function<std::string>(
         "--until", [&o](const std::string& s) { o.until_ns = ParseTime(s, NowNanos()); },
         "Stop at the first event after TIME")
      ->type_name("TIME")
      ->check(TimeValidator());
  from->excludes(since);
  app.add_flag("-f,--follow", o.follow, "Keep waiting for new events");
}

// -g sets where printing starts, as --from does; the end options still apply.
void AddGroupOption(CLI::App& app, TailCommandOptions& o) {
  app.add_option_function<std::string>(
         "-g,--group", [&o](const std::string& name) { o.group = name; },
         "Start at GROUP's committed position (see evlog ack); does not ack")
      ->type_name("GROUP")
      ->check(GroupNameValidator())
      ->excludes(app.get_option("--from"))
      ->excludes(app.get_option("--since"))
      ->excludes(app.get_option("--lines"));
}

void AddOutputOptions(CLI::App& app, TailCommandOptions& o) {
  auto* json = app.add_flag("--json", o.json,
                            "One JSON object per event: offset, timestamp, key, headers, payload "
                            "(base64 with a *_encoding marker where not UTF-8)");
  auto* format =
      app.add_option_function<std::string>(
             "--format", [&o](const std::string& s) { o.format = s; },
             "Print FMT per event: %o offset, %k key, %s payload, %S payload size, "
             "%T timestamp (ms), %h headers, %%, and \\n \\t \\r \\0 \\\\; no separator is added")
          ->type_name("FMT")
          ->check(FormatValidator());
  auto* null =
      app.add_flag("-0,--null", o.null_terminated, "End each payload with NUL instead of newline");
  json->excludes(format)->excludes(null);
  format->excludes(null);
}

// The offset of the first event at or after `timestamp_ns`, or `end` if there is none yet.
// Found by reading that event: position() after SeekToTime may still name the start of the
// segment being searched rather than the event (see the library's reader).
eventlog::Result<uint64_t> OffsetAtTime(eventlog::Reader& reader, int64_t timestamp_ns,
                                        uint64_t end) {
  EVLOG_RETURN_IF_ERROR(reader.SeekToTime(timestamp_ns));
  eventlog::Event event;
  EVLOG_ASSIGN_OR_RETURN(bool found, reader.Next(&event));
  return found ? std::min(event.offset, end) : end;
}

// Positions the reader at the first event to print. -n counts back from the end of the
// range: --to, --until, or the committed end.
eventlog::Status SeekToStart(const TailCommandOptions& o, const eventlog::LogInfo& info,
                             eventlog::Reader& reader) {
  std::optional<uint64_t> lines = o.lines;
  if (!o.from && !o.since_ns && !lines) lines = kDefaultLines;
  // --since alone: the reader stays where SeekToTime put it.
  if (o.since_ns && !lines) return reader.SeekToTime(*o.since_ns);
  uint64_t start = 0;
  if (o.from) start = StartOffset(*o.from, info);
  if (o.since_ns) {
    EVLOG_ASSIGN_OR_RETURN(start, OffsetAtTime(reader, *o.since_ns, info.next_offset));
  }
  if (lines) {
    uint64_t end = info.next_offset;
    if (o.to) end = std::min(end, EndOffsetExclusive(*o.to, info));
    if (o.until_ns && *o.until_ns < INT64_MAX) {
      EVLOG_ASSIGN_OR_RETURN(uint64_t after, OffsetAtTime(reader, *o.until_ns + 1, end));
      end = std::min(end, after);
    }
    start = std::max(start, end > *lines ? end - *lines : 0);
  }
  return reader.SeekToOffset(start);
}

struct Limits {
  uint64_t end_offset = UINT64_MAX;  // exclusive
  std::optional<int64_t> until_ns;
  std::optional<uint64_t> count;
  bool follow = false;
};

// Prints events until a limit is reached or, without follow, the committed end.
eventlog::Status PrintEvents(eventlog::Reader& reader, const EventPrinter& printer,
                             const Limits& limits, OutputBuffer& out) {
  uint64_t printed = 0;
  eventlog::Event event;
  while (!limits.count || printed < *limits.count) {
    auto more = reader.Next(&event);
    if (!more) return more.error();
    if (!*more) {
      // Flush before waiting, so a follower's output is never held back.
      if (!out.Flush() || !limits.follow || reader.position() >= limits.end_offset) break;
      // Timestamps are assigned at append, so once the clock passes --until no event
      // still to come can be in range.
      if (limits.until_ns && NowNanos() > *limits.until_ns) break;
      EVLOG_RETURN_IF_ERROR(reader.WaitForAppend(kWaitSliceMs));
      if (out.PeerClosed()) break;
      continue;
    }
    if (event.offset >= limits.end_offset) break;
    if (limits.until_ns && event.timestamp_ns > *limits.until_ns) break;
    printer.Print(event, out);
    if (out.failed()) break;
    ++printed;
  }
  return eventlog::Status::Ok();
}

// The options with -g replaced by --from at the group's committed position. Reading it
// creates nothing and needs no write access; a follower holds no LMDB resources.
eventlog::Result<TailCommandOptions> ResolveGroup(const TailCommandOptions& o, const eventlog::Log& log) {
  TailCommandOptions resolved = o;
  if (!o.group) return resolved;
  EVLOG_ASSIGN_OR_RETURN(eventlog::GroupInfo group, eventlog::ConsumerGroups::GetIfPresent(log, *o.group));
  resolved.from = Position{Position::Kind::kOffset, group.position};
  resolved.group.reset();
  return resolved;
}

int Finish(OutputBuffer& out, const eventlog::Status& status) {
  // Events printed before an error (say, corruption further on) are valid: deliver them.
  out.Flush();
  if (!status.ok()) return ReportFailure(kTailCommand, status);
  // The reader went away (`| head`): that is how pipelines end, not an error.
  if (out.error() == EPIPE) return kExitOk;
  if (out.failed()) {
    PrintError(kTailCommand, std::string("cannot write to stdout: ") + std::strerror(out.error()));
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

CLI::App* RegisterTailCommand(CLI::App& parent, TailCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "tail", "Print events: by default the payloads of the last 10, one per line");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  AddRangeOptions(*app, o);
  AddGroupOption(*app, o);
  AddOutputOptions(*app, o);
  AddWaitOption(*app, o);
  return app;
}

int RunTailCommand(const TailCommandOptions& options) {
  TailCommandOptions o = options;
  if (o.wait) {
    if (std::optional<int> failed = WaitForLog(o)) return *failed;
  }
  auto log =
      eventlog::Log::Open(o.log_dir, {.create_if_missing = false, .limits = {}, .fs = nullptr});
  if (!log) return ReportFailure(kTailCommand, log.error());
  PrintRecoveryNotes(kTailCommand, **log);
  auto reader = (*log)->NewReader();
  if (!reader) return ReportFailure(kTailCommand, reader.error());
  auto start = ResolveGroup(o, **log);  // before Info: the group is then at most at its end
  if (!start) return ReportFailure(kTailCommand, start.error());
  auto info = (*log)->Info();
  if (!info) return ReportFailure(kTailCommand, info.error());
  eventlog::Status seek = SeekToStart(*start, *info, **reader);
  if (!seek.ok()) return ReportFailure(kTailCommand, seek);

  Limits limits{.end_offset = o.to ? EndOffsetExclusive(*o.to, *info) : UINT64_MAX,
                .until_ns = o.until_ns,
                .count = o.count,
                .follow = o.follow};
  EventPrinter printer = EventPrinter::Make(o.json, o.format, o.null_terminated);
  OutputBuffer out(STDOUT_FILENO);
  return Finish(out, PrintEvents(**reader, printer, limits, out));
}

}  // namespace evlog
