#include "commands/replay_command.h"

#include <CLI/CLI.hpp>
#include <filesystem>

#include "args/cli_validators.h"
#include "replay/dead_letter.h"
#include "args/duration_parse.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "term/exit_codes.h"
#include "args/group_options.h"
#include "args/number_option.h"
#include "replay/replay_session.h"
#include "term/report.h"

namespace evlog {
namespace {

constexpr char kReplayCommand[] = "replay";

CLI::Option* AddDurationOption(CLI::App& app, const std::string& name,
                               std::function<void(std::chrono::milliseconds)> set,
                               const std::string& help) {
  return app
      .add_option_function<std::string>(
          name, [set](const std::string& text) { set(*ParseDuration(text)); }, help)
      ->type_name("DUR")
      ->check(DurationValidator());
}

// A timeout of 0 would fail every attempt before the command could start.
CLI::Validator NonZeroDuration() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto duration = ParseDuration(text);
        return duration && duration->count() == 0 ? "must be more than 0" : "";
      },
      "", "");
}

void AddRangeOptions(CLI::App& app, ReplayCommandOptions& o) {
  auto* group = app.add_option_function<std::string>(
                       "-g,--group", [&o](const std::string& name) { o.group = name; },
                       "Start at GROUP's committed position and ack each event once its command "
                       "succeeded (or it was dead-lettered)")
                    ->type_name("GROUP")
                    ->check(GroupNameValidator());
  app.add_option_function<std::string>(
         "--from", [&o](const std::string& s) { o.from = ParsePosition(s); },
         "Start at POS: an offset, beginning, end, or -N (default: beginning)")
      ->type_name("POS")
      ->check(PositionValidator())
      ->excludes(group);
  app.add_option_function<std::string>(
         "--to", [&o](const std::string& s) { o.to = ParsePosition(s); },
         "Stop after POS (inclusive; end means the last event when replay starts)")
      ->type_name("POS")
      ->check(PositionValidator());
  app.add_flag("-f,--follow", o.follow,
               "At the end of the log, wait for new events instead of exiting");
}

void AddDeliveryOptions(CLI::App& app, ReplayCommandOptions& o) {
  AddDurationOption(app, "--timeout", [&o](auto d) { o.timeout = d; },
                    "Stop CMD after DUR (SIGTERM to its process group, SIGKILL 2s later) and count "
                    "the attempt as failed (default: no limit)")
      ->check(NonZeroDuration());
  AddDurationOption(app, "--backoff", [&o](auto d) { o.backoff = d; },
                    "Wait DUR before the first retry, doubling for each further one, plus up to "
                    "20% jitter (default 500ms)");
  AddDurationOption(app, "--backoff-max", [&o](auto d) { o.backoff_max = d; },
                    "Never wait more than DUR (plus jitter) between attempts (default 30s)");
  AddWholeNumberOption(app, "--max-attempts", [&o](uint64_t n) { o.max_attempts = static_cast<int>(n); },
                       "Run CMD at most N times per event (default 5)", 1, 1'000'000)
      ->type_name("N");
  app.add_option_function<std::string>(
         "--dead-letter", [&o](const std::string& dir) { o.dead_letter = dir; },
         "Append an event CMD rejected (exit 65) or failed on every attempt to DLLOG (created "
         "if missing), ack it and go on; without it, replay stops with exit status 5")
      ->type_name("DLLOG");
  AddWholeNumberOption(app, "--batch", [&o](uint64_t n) { o.batch = n; },
                       "Hand up to N available events to one CMD run, as `tail --json` lines on stdin; "
                       "EVLOG_OFFSET is the first offset, EVLOG_COUNT the number of events",
                       1, 1'000'000)
      ->type_name("N");
}

std::string AbsolutePath(const std::string& dir) {
  std::string path = std::filesystem::absolute(dir).lexically_normal().string();
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

struct Opened {
  std::unique_ptr<eventlog::Log> log;
  std::unique_ptr<eventlog::ConsumerGroups> groups;
  std::unique_ptr<DeadLetterLog> dead_letter;
  std::unique_ptr<eventlog::Reader> reader;
  uint64_t end_offset = UINT64_MAX;
  uint64_t group_position = 0;  // with -g, where the group stood when joined
};

// Opens everything replay needs and positions the reader at the first event to deliver.
eventlog::Status Open(const ReplayCommandOptions& o, Opened* opened) {
  EVLOG_ASSIGN_OR_RETURN(opened->log, eventlog::Log::Open(o.log_dir, {.create_if_missing = false,
                                                                      .limits = {},
                                                                      .fs = nullptr}));
  PrintRecoveryNotes(kReplayCommand, *opened->log);
  EVLOG_ASSIGN_OR_RETURN(opened->reader, opened->log->NewReader());
  EVLOG_ASSIGN_OR_RETURN(eventlog::LogInfo info, opened->log->Info());
  uint64_t start = o.from ? StartOffset(*o.from, info) : info.first_offset;
  // Before the group is joined: a replay refused here leaves no new group behind.
  if (o.dead_letter) {
    EVLOG_ASSIGN_OR_RETURN(opened->dead_letter,
                           DeadLetterLog::Open(*o.dead_letter, *opened->log, AbsolutePath(o.log_dir)));
  }
  if (o.group) {
    EVLOG_ASSIGN_OR_RETURN(opened->groups, eventlog::ConsumerGroups::Open(*opened->log));
    // Joined, not just read: from here on, compaction keeps this group's events.
    EVLOG_ASSIGN_OR_RETURN(eventlog::GroupJoin join, opened->groups->Join(*o.group));
    PrintGroupJoinWarnings(kReplayCommand, *o.group, join);
    start = join.group.position;
    opened->group_position = start;
  }
  if (o.to) opened->end_offset = EndOffsetExclusive(*o.to, info);
  return opened->reader->SeekToOffset(start);
}

DeliveryOptions MakeDeliveryOptions(const ReplayCommandOptions& o) {
  return {.command = o.command,
          .context = {.log_path = AbsolutePath(o.log_dir), .group = o.group, .batch = o.batch.has_value()},
          .max_attempts = o.max_attempts,
          .limits = {.timeout = o.timeout},
          .backoff = o.backoff,
          .backoff_max = o.backoff_max};
}

}  // namespace

CLI::App* RegisterReplayCommand(CLI::App& parent, ReplayCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "replay", "Run a command for each event, payload on stdin; retry, dead-letter, ack with -g");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  app->add_option("CMD", o.command, "The command and its arguments, after --; run without a shell")
      ->required();
  AddRangeOptions(*app, o);
  AddDeliveryOptions(*app, o);
  app->footer(
      "CMD gets EVLOG_OFFSET, EVLOG_KEY, EVLOG_TIMESTAMP, EVLOG_HEADER_<NAME>, EVLOG_ATTEMPT, "
      "EVLOG_LOG and EVLOG_GROUP in its environment; exit 65 means reject the event (not "
      "retried). <NAME> is the header name upper-cased, with every character other than A-Z, 0-9 "
      "and _ replaced by _: header content-type arrives as EVLOG_HEADER_CONTENT_TYPE. See "
      "evlog-replay(1).\n"
      "Exit status: 0 every event in range delivered or dead-lettered, 1 error, 2 usage error, 4 "
      "corruption, 3 the group was moved back by another program while replay ran (nothing acked after it), 5 an "
      "event could not be delivered (no --dead-letter), 128+N ended by signal N.");
  return app;
}

int RunReplayCommand(const ReplayCommandOptions& o) {
  auto signals = SignalPipe::Install();
  if (!signals) return ReportFailure(kReplayCommand, signals.error());
  Opened opened;
  eventlog::Status status = Open(o, &opened);
  if (!status.ok()) return ReportFailure(kReplayCommand, status);
  Deliverer deliverer(MakeDeliveryOptions(o), **signals);
  ReplaySession session(*opened.reader, deliverer, **signals,
                        {.end_offset = opened.end_offset,
                         .follow = o.follow,
                         .batch_size = o.batch.value_or(1),
                         .groups = opened.groups.get(),
                         .group = o.group.value_or(""),
                         .group_position = opened.group_position,
                         .dead_letter = opened.dead_letter.get()});
  return session.Run();
}

}  // namespace evlog
