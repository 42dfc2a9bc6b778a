#include "commands/export_command.h"


#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "args/cli_validators.h"
#include "args/filter_options.h"
#include "eventlog/archive.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "eventlog/salvage.h"
#include "codec/event_printer.h"
#include "codec/export_output.h"
#include "commands/parallel_print.h"
#include "term/exit_codes.h"
#include "term/interruption.h"
#include "term/progress.h"
#include "codec/json_envelope.h"
#include "term/report.h"
#include "codec/time_parse.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr char kExportCommand[] = "export";

// The offsets [from, end) to export. Timestamps never decrease along a log, so --since and
// --until select a contiguous run of offsets too: all bounds become offsets.
struct ExportRange {
  uint64_t from = 0;
  uint64_t end = 0;
};

void AddRangeOptions(CLI::App& app, ExportCommandOptions& o) {
  app.add_option_function<std::string>(
         "--from", [&o](const std::string& s) { o.from = ParsePosition(s); },
         "Start at POS: an offset, beginning (the default), end, or -N (N before the end)")
      ->type_name("POS")
      ->check(PositionValidator());
  app.add_option_function<std::string>(
         "--to", [&o](const std::string& s) { o.to = ParsePosition(s); },
         "Stop after POS (inclusive; the default is the end of the log when the export starts)")
      ->type_name("POS")
      ->check(PositionValidator());
  app.add_option_function<std::string>(
         "--since", [&o](const std::string& s) { o.since_ns = ParseTime(s, NowNanos()); },
         "Start at the first event at or after TIME (as for tail --since)")
      ->type_name("TIME")
      ->check(TimeValidator());
  app.add_option_function<std::string>(
         "--until", [&o](const std::string& s) { o.until_ns = ParseTime(s, NowNanos()); },
         "Stop at the first event after TIME")
      ->type_name("TIME")
      ->check(TimeValidator());
}

// The offset of the first event at or after `timestamp_ns`, or `end` if there is none.
Result<uint64_t> OffsetAtTime(eventlog::Reader& reader, int64_t timestamp_ns, uint64_t end) {
  EVLOG_RETURN_IF_ERROR(reader.SeekToTime(timestamp_ns));
  eventlog::Event event;
  EVLOG_ASSIGN_OR_RETURN(bool found, reader.Next(&event));
  return found ? std::min(event.offset, end) : end;
}

Result<ExportRange> ResolveRange(const ExportCommandOptions& o, const eventlog::LogInfo& info,
                                 eventlog::Reader& reader) {
  uint64_t end = info.next_offset;
  if (o.to) end = std::min(end, EndOffsetExclusive(*o.to, info));
  if (o.until_ns && *o.until_ns < INT64_MAX) {
    EVLOG_ASSIGN_OR_RETURN(uint64_t after, OffsetAtTime(reader, *o.until_ns + 1, end));
    end = std::min(end, after);
  }
  uint64_t from = o.from ? StartOffset(*o.from, info) : info.first_offset;
  if (o.since_ns) {
    EVLOG_ASSIGN_OR_RETURN(uint64_t at, OffsetAtTime(reader, *o.since_ns, info.next_offset));
    from = std::max(from, at);
  }
  return ExportRange{std::clamp(from, std::min(info.first_offset, end), end), end};
}

// The range is fixed when the export starts, and an export is a copy people restore from:
// if the log now starts after `expected`, retention removed events of the range while they
// were being read, and the export fails rather than end with a hole (`tail` warns and goes
// on instead). A gap that leaves the log's start where it was is key compaction's doing.
Status CheckNotRemoved(const eventlog::Log& log, uint64_t expected, uint64_t offset) {
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log.Info());
  if (info.first_offset <= expected) return Status::Ok();
  return Status::Failed(fmt::format("events {}..{} of the range were removed from {} (evlog compact) while they "
                                    "were being exported, so the export would be incomplete; export again, or "
                                    "from offset {}",
                                    expected, std::min(info.first_offset, offset) - 1, log.dir(),
                                    info.first_offset));
}

// Calls fn for every stored event in the range, in order.
template <typename Fn>
Status ForEachEvent(const eventlog::Log& log, eventlog::Reader& reader, const ExportRange& range, Fn&& fn) {
  EVLOG_RETURN_IF_ERROR(reader.SeekToOffset(range.from));
  Progress progress("export", "events", range.end > range.from ? range.end - range.from : 0);
  eventlog::Event event;
  uint64_t expected = range.from;
  while (true) {
    if (int signal = Interruption()) return Status::Failed(fmt::format("interrupted by signal {}", signal));
    EVLOG_ASSIGN_OR_RETURN(bool more, reader.Next(&event));
    if (!more || event.offset >= range.end) {
      // Events removed up to the range's end leave nothing to read after the hole.
      return more || expected >= range.end ? Status::Ok() : CheckNotRemoved(log, expected, range.end);
    }
    if (event.offset != expected) EVLOG_RETURN_IF_ERROR(CheckNotRemoved(log, expected, event.offset));
    EVLOG_RETURN_IF_ERROR(fn(event));
    expected = event.offset + 1;
    progress.Update(event.offset - range.from + 1);
  }
}

Status WriteFailed(const OutputBuffer& out) {
  return Status::IOError(std::string("write failed: ") + std::strerror(out.error()));
}

// A long range is read by several threads at once (parallel_print.h), interruption and
// progress checked before each block of output and while waiting for one; a short one by
// `reader`.
Status WriteNdjson(const eventlog::Log& log, eventlog::Reader& reader, const ExportRange& range,
                   const EventFilterOptions& filter_options, std::optional<EventFilter>& filter, OutputBuffer& out) {
  {
    Progress progress("export", "events", range.end > range.from ? range.end - range.from : 0);
    Status removed;  // the first hole retention made (CheckNotRemoved)
    const ParallelHooks hooks{.jumped =
                                  [&](uint64_t expected, uint64_t offset) {
                                    if (removed.ok()) removed = CheckNotRemoved(log, expected, offset);
                                  },
                              .poll = [&](uint64_t span_from) {
                                if (!removed.ok()) return removed;
                                if (int signal = Interruption()) {
                                  return Status::Failed(fmt::format("interrupted by signal {}", signal));
                                }
                                progress.Update(span_from - range.from);
                                return Status::Ok();
                              }};
    std::optional<ParallelOutcome> outcome =
        PrintInParallel(log, {.from = range.from, .to = range.end, .until_ns = std::nullopt},
                        EventPrinter::Make(/*json=*/true, std::nullopt, false), filter_options,
                        filter ? &*filter : nullptr, ReadThreads(), hooks, out);
    if (outcome) {
      EVLOG_RETURN_IF_ERROR(outcome->status);
      EVLOG_RETURN_IF_ERROR(removed);
      return out.failed() ? WriteFailed(out) : Status::Ok();
    }
  }
  return ForEachEvent(log, reader, range, [&](const eventlog::Event& event) {
    if (filter && !filter->Matches(event)) return Status::Ok();
    AppendEventJson(event, out);
    out.Append('\n');
    return out.failed() ? WriteFailed(out) : Status::Ok();
  });
}

Status WriteArchive(const eventlog::Log& log, const eventlog::LogInfo& info,
                    const std::vector<eventlog::GroupInfo>& groups, eventlog::Reader& reader,
                    const ExportRange& range, OutputBuffer& out) {
  // The header announces the event count, so count first. Events below the captured end
  // never change; if compaction removes some meanwhile, ForEachEvent says so.
  uint64_t count = 0;
  EVLOG_RETURN_IF_ERROR(ForEachEvent(log, reader, range, [&](const eventlog::Event&) {
    ++count;
    return Status::Ok();
  }));
  eventlog::ArchiveWriter writer([&out](std::string_view bytes) {
    out.Append(bytes);
    return out.failed() ? WriteFailed(out) : Status::Ok();
  });
  EVLOG_RETURN_IF_ERROR(writer.Begin({.log_id = log.log_id(),
                                      .from_offset = range.from,
                                      .end_offset = range.end,
                                      .event_count = count,
                                      .created_ns = NowNanos(),
                                      .segment_bytes = info.segment_bytes,
                                      .max_event_bytes = info.max_event_bytes}));
  EVLOG_RETURN_IF_ERROR(ForEachEvent(log, reader, range, [&](const eventlog::Event& e) { return writer.Add(e); }));
  return writer.Finish(groups);
}

// One consistent snapshot: the committed end is captured first, then the groups, whose
// positions are at most the end at the time they are read and are clamped into the
// exported range by the archive writer; events are read only below the captured end.
Status Export(const ExportCommandOptions& o, const eventlog::Log& log, ExportOutput& output) {
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log.Info());
  std::vector<eventlog::GroupInfo> groups;
  if (o.format == "archive") {
    EVLOG_ASSIGN_OR_RETURN(groups, eventlog::ConsumerGroups::ListIfPresent(log));
  }
  EVLOG_ASSIGN_OR_RETURN(auto reader, log.NewReader());
  EVLOG_ASSIGN_OR_RETURN(ExportRange range, ResolveRange(o, info, *reader));
  if (o.format == "archive") {
    EVLOG_RETURN_IF_ERROR(WriteArchive(log, info, groups, *reader, range, output.out()));
  } else {
    std::optional<EventFilter> filter;
    if (!o.filter.empty()) filter = std::move(EventFilter::Compile(o.filter)).value();  // validated by the options
    EVLOG_RETURN_IF_ERROR(WriteNdjson(log, *reader, range, o.filter, filter, output.out()));
    // A search abandoned at the regex limits leaves the export incomplete: no file is committed.
    if (filter && filter->undecided() > 0) {
      return Status::Failed(fmt::format("--grep gave up on {} event{} (the first at offset {}) at the regex's "
                                        "backtracking limits: simplify the pattern",
                                        filter->undecided(), filter->undecided() == 1 ? "" : "s",
                                        filter->first_undecided_offset()));
    }
  }
  return output.Commit();
}

// --salvage: every event that still decodes, in log order; those from damaged batches carry
// "unverified":true. Says on stderr how many were recovered and from where.
int Salvage(const eventlog::Log& log, ExportOutput& output) {
  OutputBuffer& out = output.out();
  auto report = eventlog::SalvageLog(log, [&](const eventlog::Event& event, bool verified) {
    if (int signal = Interruption()) return Status::Failed(fmt::format("interrupted by signal {}", signal));
    AppendEventJson(event, out, verified ? "" : ",\"unverified\":true");
    out.Append('\n');
    return out.failed() ? WriteFailed(out) : Status::Ok();
  });
  if (!report) return ReportFailure(kExportCommand, report.error());
  if (Status committed = output.Commit(); !committed.ok()) return ReportFailure(kExportCommand, committed);
  std::string summary = fmt::format("salvage: {} verified events, {} unverified events from {} damaged stretch{}",
                                    report->verified_events, report->unverified_events, report->damaged.size(),
                                    report->damaged.size() == 1 ? "" : "es");
  for (const eventlog::SalvageSource& d : report->damaged) {
    if (d.resume == 0) {  // the segment could not be read at all
      summary += fmt::format("\n  segment {}: {}; nothing recovered from it", d.file, d.problem);
      continue;
    }
    summary += fmt::format("\n  segment {} at byte {}: {}; {} event{} decoded (unverified), valid frames resume at byte {}",
                           d.file, d.position, d.problem, d.events, d.events == 1 ? "" : "s", d.resume);
  }
  PrintError(kExportCommand, summary);
  return report->damaged.empty() ? kExitOk : kExitCorruption;
}

}  // namespace

CLI::App* RegisterExportCommand(CLI::App& parent, ExportCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "export", "Write events to stdout or a file: JSON envelopes, or an archive for `evlog import`");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  AddRangeOptions(*app, o);
  AddFilterOptions(*app, o.filter);
  app->add_option("--format", o.format,
                  "ndjson: one JSON envelope per line, as tail --json; archive: a checksummed binary "
                  "copy with offsets, timestamps and consumer-group positions")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"ndjson", "archive"}))
      ->capture_default_str();
  app->add_option_function<std::string>(
         "-o,--output", [&o](const std::string& path) { o.output = path; },
         "Write to FILE (atomically: a temporary file, fsynced and renamed) instead of stdout")
      ->type_name("FILE");
  app->add_flag("--salvage", o.salvage,
                "From a damaged log, every event that still decodes, as JSON lines; events from damaged batches "
                "carry \"unverified\":true (exit 4 if there were any)")
      ->excludes("--from", "--to", "--since", "--until", "--format", "--key", "--header", "--grep");
  return app;
}

static int OpenAndExport(const ExportCommandOptions& o) {
  auto log = eventlog::Log::Open(o.log_dir, {.create_if_missing = false, .limits = {}, .fs = nullptr});
  if (!log) return ReportFailure(kExportCommand, log.error());
  PrintRecoveryNotes(kExportCommand, **log);
  auto output = ExportOutput::Open(o.output);
  if (!output) return ReportFailure(kExportCommand, output.error());
  if (o.salvage) return Salvage(**log, **output);
  Status status = Export(o, **log, **output);
  if (status.ok()) return kExitOk;
  // `export | head`: the reader went away, as at the end of any pipeline.
  if ((*output)->to_stdout() && (*output)->out().error() == EPIPE && o.format == "ndjson") return kExitOk;
  // As `tail` does: the events before a failure (damage further on, say) were verified, and
  // are delivered whole, rather than cut wherever the buffer last happened to be written.
  if ((*output)->to_stdout() && o.format == "ndjson") (*output)->out().Flush();
  return ReportFailure(kExportCommand, status);
}

int RunExportCommand(const ExportCommandOptions& o) {
  // An archive is a log's copy, offset for offset, and import rebuilds the log from it: a
  // filtered subset would need holes in the offsets, which no log has.
  if (o.format == "archive" && !o.filter.empty()) {
    PrintError(kExportCommand, "--key, --header and --grep select events for --format ndjson only: an archive "
                               "copies every event of the range, so that import rebuilds the same offsets");
    return kExitUsage;
  }
  const bool to_stdout = !o.output || *o.output == "-";
  // As gzip does: binary on a terminal is never what was meant, and can upset the terminal.
  if (to_stdout && o.format == "archive" && !o.salvage && isatty(STDOUT_FILENO)) {
    PrintError(kExportCommand, "refusing to write an archive to a terminal; use -o FILE or redirect");
    return kExitUsage;
  }
  // A FILE is written to a temporary sibling, which an interrupted export must remove.
  if (!to_stdout) CatchInterruptions();
  const int code = OpenAndExport(o);  // the output, and its temporary file, are gone on return
  if (code != kExitOk && Interruption()) ReraiseInterruption();
  return code;
}

}  // namespace evlog
