#include "commands/compact_command.h"

#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <optional>
#include <cerrno>
#include <cstring>

#include "args/cli_validators.h"
#include "args/duration_parse.h"
#include "eventlog/compaction.h"
#include "eventlog/log.h"
#include "term/exit_codes.h"
#include "args/lock_options.h"
#include "term/byte_size.h"
#include "term/progress.h"
#include "codec/output_buffer.h"
#include "term/report.h"
#include "args/size_parse.h"
#include "codec/time_parse.h"

namespace evlog {
namespace {

constexpr char kCompactCommand[] = "compact";

std::string SegmentName(uint64_t base) { return fmt::format("{:020}.seg", base); }

std::string Offsets(uint64_t first, uint64_t end) {
  return end > first ? fmt::format("offsets {}..{}", first, end - 1) : std::string("no events");
}

//   would remove 00000000000000000000.seg: offsets 0..4095, 4096 events, 1.0 MiB, newest 2026-...Z
void AppendPlannedSegment(const eventlog::CompactedSegment& s, OutputBuffer& out) {
  char newest[kRfc3339NanosLength];
  FormatRfc3339Nanos(s.last_timestamp_ns, newest);
  out.Append(fmt::format("would remove {}: {}, {} events, {}, newest {}\n", SegmentName(s.base_offset),
                         Offsets(s.base_offset, s.end_offset), s.events, FormatByteSize(s.bytes),
                         std::string_view(newest, sizeof newest)));
}

void AppendKeptSegment(const eventlog::KeptSegment& s, OutputBuffer& out) {
  out.Append(fmt::format("kept {}: {}\n", SegmentName(s.base_offset), s.reason));
}

// A dry run lists each segment first. Then the totals, and what stayed although selected:
//   removed 3 segments (offsets 0..12287): 12288 events, 3.1 MiB; the log now starts at offset 12288
//   kept 00000000000000012288.seg: group 'billing' is at offset 12300
void AppendReport(const eventlog::CompactionReport& r, OutputBuffer& out) {
  if (r.dry_run) {
    for (const eventlog::CompactedSegment& s : r.removed) AppendPlannedSegment(s, out);
  }
  const char* verb = r.dry_run ? "would remove" : "removed";
  if (r.removed.empty()) {
    out.Append(fmt::format("{} nothing; the log starts at offset {}\n", verb, r.first_offset));
  } else {
    out.Append(fmt::format("{} {} segment{} ({}): {} events, {}; the log {} at offset {}\n", verb, r.removed.size(),
                           r.removed.size() == 1 ? "" : "s",
                           Offsets(r.removed.front().base_offset, r.removed.back().end_offset), r.events_removed,
                           FormatByteSize(r.bytes_removed), r.dry_run ? "would start" : "now starts", r.first_offset));
  }
  if (r.kept) AppendKeptSegment(*r.kept, out);
}

//   would rewrite 00000000000000004096.seg: remove 12 events (1 tombstone), 1.2 KiB
//   compacted 3 segments: removed 40 events (2 tombstones), 5 KiB reclaimed
//   kept 1 expired tombstone: group 'billing' is at offset 4100
//   kept 00000000000000004096.seg: its 61 surviving events would take 4208 bytes, more than ...
void AppendKeyReport(const eventlog::KeyCompactionReport& r, bool dry_run, OutputBuffer& out) {
  if (dry_run) {
    for (const eventlog::RewrittenSegment& s : r.segments) {
      out.Append(fmt::format("would {} {}: remove {} events ({} tombstones), {}\n", s.deleted ? "delete" : "rewrite",
                             SegmentName(s.base_offset), s.events_removed, s.tombstones_removed,
                             FormatByteSize(s.bytes_before - std::min(s.bytes_before, s.bytes_after))));
    }
  }
  out.Append(fmt::format("{} {} segment{}: {} {} events ({} tombstones), {} {}\n",
                         dry_run ? "would compact" : "compacted", r.segments.size(), r.segments.size() == 1 ? "" : "s",
                         dry_run ? "would remove" : "removed", r.events_removed, r.tombstones_removed,
                         FormatByteSize(r.bytes_reclaimed), dry_run ? "to reclaim" : "reclaimed"));
  if (r.tombstones_kept_for_groups > 0) {
    out.Append(fmt::format("kept {} expired tombstone{}: {}\n", r.tombstones_kept_for_groups,
                           r.tombstones_kept_for_groups == 1 ? "" : "s", r.tombstones_kept_reason));
  }
  for (const eventlog::KeptSegment& s : r.kept) AppendKeptSegment(s, out);
}

eventlog::Result<eventlog::CompactionOptions> LibraryOptions(const CompactCommandOptions& o, const eventlog::Log& log) {
  eventlog::CompactionOptions options;
  options.retain_bytes = o.retain_bytes;
  if (o.retain_age) options.retain_age_ns = std::chrono::nanoseconds(*o.retain_age).count();
  if (o.before) {
    EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, log.Info());
    options.before_offset = StartOffset(*o.before, info);
  }
  options.ignore_groups = o.ignore_groups;
  options.dry_run = o.dry_run;
  options.keep_latest_per_key = o.keep_latest_per_key;
  if (o.tombstone_retention) {
    options.tombstone_retention_ns = std::chrono::nanoseconds(*o.tombstone_retention).count();
  }
  return options;
}

}  // namespace

CLI::App* RegisterCompactCommand(CLI::App& parent, CompactCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "compact",
      "Remove old closed segments (--retain-bytes, --retain-age, --before) and superseded keyed events "
      "(--keep-latest-per-key)");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  app->add_option_function<std::string>(
         "--retain-bytes", [&o](const std::string& s) { o.retain_bytes = ParseSize(s); },
         "Remove a segment once the segment files after it hold at least SIZE bytes (4096, 64K, 16M, 1G)")
      ->type_name("SIZE")
      ->check(SizeValidator());
  app->add_option_function<std::string>(
         "--retain-age", [&o](const std::string& s) { o.retain_age = ParseDuration(s); },
         "Remove a segment once its newest event is older than DUR (7d, 12h, 30m, 90s)")
      ->type_name("DUR")
      ->check(DurationValidator());
  app->add_option_function<std::string>(
         "--before", [&o](const std::string& s) { o.before = ParsePosition(s); },
         "Remove a segment if all its events lie before POS (an offset, beginning, end, or -N)")
      ->type_name("POS")
      ->check(PositionValidator());
  app->add_flag("--ignore-groups", o.ignore_groups,
                "Also remove events that consumer groups have not acked");
  app->add_flag("--keep-latest-per-key", o.keep_latest_per_key,
                "Rewrite closed segments to keep only the newest event of each key (and every unkeyed event)");
  app->add_option_function<std::string>(
         "--tombstone-retention", [&o](const std::string& s) { o.tombstone_retention = ParseDuration(s); },
         "With --keep-latest-per-key: remove a tombstone (keyed, empty payload) once older than DUR (default 24h)")
      ->type_name("DUR")
      ->check(DurationValidator());
  app->add_flag("-n,--dry-run", o.dry_run, "Print what would be removed; change nothing");
  AddWaitLockOption(*app, o.wait_lock);
  return app;
}

int RunCompactCommand(const CompactCommandOptions& o) {
  if (!o.retain_bytes && !o.retain_age && !o.before && !o.keep_latest_per_key) {
    PrintError(kCompactCommand, "give at least one of --retain-bytes, --retain-age, --before, --keep-latest-per-key");
    PrintError(kCompactCommand, "run 'evlog compact --help' for usage");
    return kExitUsage;
  }
  if (o.tombstone_retention && !o.keep_latest_per_key) {
    PrintError(kCompactCommand, "--tombstone-retention needs --keep-latest-per-key");
    return kExitUsage;
  }
  eventlog::LogOptions log_options{.create_if_missing = false, .limits = {}, .fs = nullptr};
  ApplyLockOptions(log_options, o.wait_lock, kCompactCommand);
  auto log = eventlog::Log::Open(o.log_dir, log_options);
  if (!log) return ReportFailure(kCompactCommand, log.error());
  PrintRecoveryNotes(kCompactCommand, **log);
  auto options = LibraryOptions(o, **log);
  if (!options) return ReportFailure(kCompactCommand, options.error());
  std::optional<Progress> progress;  // constructed here so it is cleared before the report
  progress.emplace("compact", "segments", 0);
  options->progress = [&](uint64_t done, uint64_t total) {
    progress->SetTotal(total);
    progress->Update(done);
  };
  auto report = eventlog::CompactLog(**log, *options);
  progress.reset();
  if (!report) return ReportFailure(kCompactCommand, report.error());
  OutputBuffer out(STDOUT_FILENO);
  if (o.retain_bytes || o.retain_age || o.before) AppendReport(*report, out);
  if (report->keys) AppendKeyReport(*report->keys, report->dry_run, out);
  out.Flush();
  if (out.failed() && out.error() != EPIPE) {
    PrintError(kCompactCommand, std::string("cannot write to stdout: ") + std::strerror(out.error()));
    return kExitError;
  }
  if (o.dry_run) PrintNote(kCompactCommand, "dry run: nothing changed");
  return kExitOk;
}

}  // namespace evlog
