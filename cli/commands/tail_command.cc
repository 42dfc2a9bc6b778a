#include "commands/tail_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "args/cli_validators.h"
#include "args/filter_options.h"
#include "codec/event_printer.h"
#include "commands/parallel_print.h"
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
                       "given); with filters, the last N that match")
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
  AddWholeNumberOption(app, "-c,--count", [&o](uint64_t n) { o.count = n; },
                       "Stop after N events (with filters, N that match)")
      ->type_name("N");
  auto* since =
      app.add_option_function<std::string>(
             "--since", [&o](const std::string& s) { o.since_ns = ParseTime(s, NowNanos()); },
             "Start at the first event at or after TIME: 2026-12-01, '2026-12-01 07:00[:00]' (local "
             "time unless a zone follows: Z, +01:00), today, yesterday, now, -2h or '2h ago', Unix "
             "seconds or milliseconds")
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
             "%T timestamp (ms), %t time (local, RFC 3339), %h headers, %%, and \\n \\t \\r \\0 \\\\; "
             "no separator is added")
          ->type_name("FMT")
          ->check(FormatValidator());
  auto* utc = app.add_flag_function(
      "--utc", [&o](int64_t) { o.zone = TimeZoneChoice::kUtc; }, "%t in UTC (JSON timestamps always are)");
  auto* local = app.add_flag_function(
      "--local", [&o](int64_t) { o.zone = TimeZoneChoice::kLocal; }, "%t in the zone TZ names (the default)");
  utc->excludes(local);
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

// Matching events (every event, without a filter) in [reader's position, end).
eventlog::Result<uint64_t> CountMatches(eventlog::Reader& reader, const EventFilter* filter, uint64_t end) {
  uint64_t matches = 0;
  eventlog::Event event;
  while (true) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader.Next(&event));
    if (!more || event.offset >= end) return matches;
    if (filter == nullptr || filter->Matches(event)) ++matches;
  }
}

// Where the last `lines` events before `end` start, not before `start`, and how many
// events after that offset to pass over. Offsets have gaps where key compaction removed
// events or an archive of such a log was imported, so `end - lines` may hold fewer: the
// window doubles until it holds enough or reaches `start`. Each try reads only the events
// stored in its window, so a log without gaps reads `lines` events once.
struct LastEvents {
  uint64_t from;
  uint64_t skip;
};
eventlog::Result<LastEvents> FindLastEvents(eventlog::Reader& reader, uint64_t start, uint64_t end, uint64_t lines) {
  for (uint64_t window = std::max<uint64_t>(lines, 1);; window = window > UINT64_MAX / 2 ? UINT64_MAX : 2 * window) {
    const uint64_t from = std::max(start, end > window ? end - window : 0);
    EVLOG_RETURN_IF_ERROR(reader.SeekToOffset(from));
    EVLOG_ASSIGN_OR_RETURN(uint64_t events, CountMatches(reader, nullptr, end));
    if (events >= lines || from == start) return LastEvents{from, events > lines ? events - lines : 0};
  }
}

// Positions the reader at the first event to print. -n counts back from the end of the
// range: --to, --until, or the committed end. With a filter, the last N matching events
// can lie anywhere in the range: they are counted in a first pass, and the result is how
// many matching events printing must pass over first.
eventlog::Result<uint64_t> SeekToStart(const TailCommandOptions& o, const eventlog::LogInfo& info,
                                       const std::optional<EventFilter>& filter, eventlog::Reader& reader) {
  std::optional<uint64_t> lines = o.lines;
  if (!o.from && !o.since_ns && !lines) lines = kDefaultLines;
  // --since alone: the reader stays where SeekToTime put it.
  if (o.since_ns && !lines) {
    EVLOG_RETURN_IF_ERROR(reader.SeekToTime(*o.since_ns));
    return 0;
  }
  uint64_t start = 0;
  if (o.from) start = StartOffset(*o.from, info);
  if (o.since_ns) {
    EVLOG_ASSIGN_OR_RETURN(start, OffsetAtTime(reader, *o.since_ns, info.next_offset));
  }
  uint64_t skip = 0;
  if (lines) {
    uint64_t end = info.next_offset;
    if (o.to) end = std::min(end, EndOffsetExclusive(*o.to, info));
    if (o.until_ns && *o.until_ns < INT64_MAX) {
      EVLOG_ASSIGN_OR_RETURN(uint64_t after, OffsetAtTime(reader, *o.until_ns + 1, end));
      end = std::min(end, after);
    }
    if (filter) {
      EVLOG_RETURN_IF_ERROR(reader.SeekToOffset(start));
      EVLOG_ASSIGN_OR_RETURN(uint64_t matches, CountMatches(reader, &*filter, end));
      skip = matches > *lines ? matches - *lines : 0;
    } else {
      EVLOG_ASSIGN_OR_RETURN(LastEvents last, FindLastEvents(reader, start, end, *lines));
      start = last.from;
      skip = last.skip;
    }
  }
  EVLOG_RETURN_IF_ERROR(reader.SeekToOffset(start));
  return skip;
}

struct Limits {
  uint64_t end_offset = UINT64_MAX;  // exclusive
  std::optional<int64_t> until_ns;
  std::optional<uint64_t> count;
  bool follow = false;
  uint64_t skip = 0;  // matching events to pass over before printing
};

// The reader jumped from `expected` to `offset`. Key compaction leaves such gaps on purpose;
// but if the log now starts after `expected`, retention (`compact`) removed events while
// this reader was behind, and a reader of an audit trail must be told, not skip silently.
void WarnIfRemoved(const eventlog::Log& log, uint64_t expected, uint64_t offset) {
  auto info = log.Info();
  if (!info || info->first_offset <= expected) return;
  PrintError(kTailCommand, fmt::format("warning: events {}..{} were removed from {} (evlog compact) before they "
                                       "could be read; continuing at {}",
                                       expected, std::min(info->first_offset, offset) - 1, log.dir(), offset));
}

// Prints events until a limit is reached or, without follow, the committed end.
eventlog::Status PrintEvents(const eventlog::Log& log, eventlog::Reader& reader,
                             const std::optional<EventFilter>& filter, const EventPrinter& printer,
                             const Limits& limits, OutputBuffer& out) {
  uint64_t printed = 0;
  uint64_t skip = limits.skip;
  eventlog::Event event;
  while (!limits.count || printed < *limits.count) {
    const uint64_t expected = reader.position();
    const uint64_t segment = reader.segment_base();
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
    // Asking the log costs a read of HEAD and a directory listing: only where the reader
    // changed segments, as a key-compacted log has a jump at nearly every event.
    if (event.offset > expected && reader.segment_base() != segment) WarnIfRemoved(log, expected, event.offset);
    if (event.offset >= limits.end_offset) break;
    if (limits.until_ns && event.timestamp_ns > *limits.until_ns) break;
    if (filter && !filter->Matches(event)) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    printer.Print(event, out);
    if (out.failed()) break;
    ++printed;
  }
  return eventlog::Status::Ok();
}

// Printing begins with the committed part of the range, when it is long and every event in
// it that passes the filters is printed (no -c, no -n with filters), with several readers
// at once (parallel_print.h). True when printing is over: an error, --until passed, or
// stdout failed. Otherwise `reader` is left where PrintEvents goes on: at once, or to
// follow.
eventlog::Result<bool> PrintLongRange(const EventFilterOptions& filter_options, const Limits& limits,
                                      const eventlog::Log& log, uint64_t committed_end,
                                      std::optional<EventFilter>& filter, const EventPrinter& printer,
                                      eventlog::Reader& reader, OutputBuffer& out) {
  if (limits.count || limits.skip > 0) return false;
  const ParallelRange range{.from = reader.position(),
                            .to = std::min(limits.end_offset, committed_end),
                            .until_ns = limits.until_ns};
  const ParallelHooks hooks{.jumped = [&log](uint64_t expected, uint64_t offset) { WarnIfRemoved(log, expected, offset); },
                            .poll = nullptr};
  std::optional<ParallelOutcome> outcome = PrintInParallel(
      log, range, printer, filter_options, filter ? &*filter : nullptr, ReadThreads(), hooks, out);
  if (!outcome) return false;  // too short to split: all of it is PrintEvents's
  EVLOG_RETURN_IF_ERROR(outcome->status);
  if (outcome->ended) return true;
  EVLOG_RETURN_IF_ERROR(reader.SeekToOffset(range.to));
  return false;
}

// The options with -g replaced by --from at the group's committed position. Reading it
// creates nothing and needs no write access; a follower holds no LMDB resources.
eventlog::Result<TailCommandOptions> ResolveGroup(const TailCommandOptions& o, const eventlog::Log& log) {
  TailCommandOptions resolved = o;
  if (!o.group) return resolved;
  EVLOG_ASSIGN_OR_RETURN(eventlog::GroupInfo group, eventlog::ConsumerGroups::GetIfPresent(log, *o.group));
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log.Info());
  if (group.position > info.next_offset) {
    // The log lost events the group had processed (ConsumerGroups::Join() says how). The end
    // is stored as the group's position where this user may write the store, so that the
    // acks of a `tail -g | ack` pipeline count; tail creates no group.
    auto groups = eventlog::ConsumerGroups::Open(log);
    auto joined = groups ? (*groups)->Join(*o.group, /*create=*/false)
                         : eventlog::Result<eventlog::GroupJoin>(groups.error());
    if (joined) {
      PrintGroupJoinWarnings(kTailCommand, *o.group, *joined);
      group.position = joined->group.position;
    } else {
      PrintError(kTailCommand,
                 fmt::format("warning: group {} is at offset {}, past the log's end ({}): the log has lost events "
                             "the group had processed; reading from offset {}, but the position could not be moved "
                             "there ({}), so acks below {} change nothing: `evlog groups -g {} --reset-to {} "
                             "--execute` moves it",
                             *o.group, group.position, info.next_offset, info.next_offset, joined.error().message(),
                             group.position, *o.group, info.next_offset));
      group.position = info.next_offset;
    }
  }
  resolved.from = Position{Position::Kind::kOffset, group.position};
  resolved.group.reset();
  return resolved;
}

// A --grep search that hit the regex limits neither matched nor failed to match: the
// output may lack events, which an audit must not take in silence.
int ReportUndecided(uint64_t undecided, uint64_t first_offset) {
  PrintError(kTailCommand, fmt::format("--grep gave up on {} event{} (the first at offset {}) at the regex's "
                                       "backtracking limits; they were not printed: simplify the pattern",
                                       undecided, undecided == 1 ? "" : "s", first_offset));
  return kExitError;
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
  AddFilterOptions(*app, o.filter);
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
  std::optional<EventFilter> filter;
  if (!o.filter.empty()) filter = std::move(EventFilter::Compile(o.filter)).value();  // validated by the options
  auto skip = SeekToStart(*start, *info, filter, **reader);
  if (!skip) return ReportFailure(kTailCommand, skip.error());
  // The counting pass of -n met the same undecided events the printing pass will.
  const uint64_t undecided_before = filter ? filter->undecided() : 0;

  Limits limits{.end_offset = o.to ? EndOffsetExclusive(*o.to, *info) : UINT64_MAX,
                .until_ns = o.until_ns,
                .count = o.count,
                .follow = o.follow,
                .skip = *skip};
  EventPrinter printer = EventPrinter::Make(o.json, o.format, o.null_terminated, o.zone);
  OutputBuffer out(STDOUT_FILENO);
  auto over = PrintLongRange(o.filter, limits, **log, info->next_offset, filter, printer, **reader, out);
  eventlog::Status status = over ? eventlog::Status::Ok() : over.error();
  if (over && !*over) status = PrintEvents(**log, **reader, filter, printer, limits, out);
  const int code = Finish(out, status);
  if (code == kExitOk && filter && filter->undecided() > undecided_before) {
    return ReportUndecided(filter->undecided() - undecided_before, filter->first_undecided_offset());
  }
  return code;
}

}  // namespace evlog
