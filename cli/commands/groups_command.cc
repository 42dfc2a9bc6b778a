#include "commands/groups_command.h"

#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "codec/base64.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "term/exit_codes.h"
#include "codec/json_envelope.h"
#include "codec/output_buffer.h"
#include "term/report.h"
#include "term/table.h"
#include "codec/time_parse.h"

namespace evlog {
namespace {

constexpr char kGroupsCommand[] = "groups";

// {"group":"billing","position":42,"lag":3,"updated":"2026-11-29T21:33:54.123456789Z"}
// A name that is not UTF-8 is written in base64 and marked, as tail --json does for keys.
void AppendGroupJson(const eventlog::GroupInfo& group, uint64_t lag, OutputBuffer& out) {
  out.Append("{\"group\":");
  if (IsValidUtf8(group.name)) {
    AppendJsonString(group.name, out);
  } else {
    std::string encoded(Base64EncodedSize(group.name.size()), '\0');
    Base64Encode(group.name, encoded.data());
    AppendJsonString(encoded, out);
    out.Append(",\"group_encoding\":\"base64\"");
  }
  out.Append(",\"position\":");
  out.AppendDecimal(group.position);
  out.Append(",\"lag\":");
  out.AppendDecimal(lag);
  out.Append(",\"updated\":\"" + Rfc3339Nanos(group.updated_ns) + "\"}\n");
}

int Finish(OutputBuffer& out) {
  out.Flush();
  if (out.error() == EPIPE) return kExitOk;  // `| head`: the reader went away
  if (out.failed()) {
    PrintError(kGroupsCommand, std::string("cannot write to stdout: ") + std::strerror(out.error()));
    return kExitError;
  }
  return kExitOk;
}

// Reads without creating or writing anything: works on a log its user may only read.
int List(const GroupsCommandOptions& o, const eventlog::Log& log) {
  auto all = eventlog::ConsumerGroups::ListIfPresent(log);
  if (!all) return ReportFailure(kGroupsCommand, all.error());
  // Read after the positions: every position acked so far is then at most next_offset.
  auto info = log.Info();
  if (!info) return ReportFailure(kGroupsCommand, info.error());
  if (o.group) {
    std::erase_if(*all, [&o](const eventlog::GroupInfo& g) { return g.name != *o.group; });
    if (all->empty()) return ReportFailure(kGroupsCommand, eventlog::Status::NotFound("no group named '" + *o.group + "'"));
  }
  OutputBuffer out(STDOUT_FILENO);
  std::vector<TableRow> rows{{"GROUP", "POSITION", "LAG", "UPDATED"}};
  for (const eventlog::GroupInfo& g : *all) {
    if (o.json) {
      AppendGroupJson(g, eventlog::GroupLag(g, *info), out);
    } else {
      rows.push_back({g.name, std::to_string(g.position), std::to_string(eventlog::GroupLag(g, *info)), Rfc3339Nanos(g.updated_ns)});
    }
  }
  if (!o.json) AppendTable(rows, out);
  return Finish(out);
}

// The position a reset target names: for @TIME, the offset of the first event at or after
// TIME (the log's next offset if there is none yet).
eventlog::Result<uint64_t> ResolveTarget(const ResetTarget& target, const eventlog::Log& log,
                                         const eventlog::LogInfo& info) {
  if (target.position) return StartOffset(*target.position, info);
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<eventlog::Reader> reader, log.NewReader());
  EVLOG_RETURN_IF_ERROR(reader->SeekToTime(*target.time_ns));
  return reader->position();
}

// "no group named 'typo' (the groups are: billing, search); ..." for a reset without --create.
eventlog::Status NoSuchGroup(const std::string& name, const std::vector<eventlog::GroupInfo>& groups) {
  std::string names;
  for (const eventlog::GroupInfo& g : groups) names += (names.empty() ? "" : ", ") + g.name;
  return eventlog::Status::NotFound(fmt::format(
      "no group named '{}' ({}); nothing changed. Add --create to create it", name,
      names.empty() ? std::string("the log has no groups yet") : "the groups are: " + names));
}

// Prints the plan (current and new position); moves the group only with --execute. The plan
// is read as `groups` lists, so a dry run works on a log its user may only read.
int Reset(const GroupsCommandOptions& o, const eventlog::Log& log) {
  auto all = eventlog::ConsumerGroups::ListIfPresent(log);
  if (!all) return ReportFailure(kGroupsCommand, all.error());
  auto found = std::find_if(all->begin(), all->end(), [&](const auto& g) { return g.name == *o.group; });
  // A dry run refuses a new group as the real run would.
  if (found == all->end() && !o.create) return ReportFailure(kGroupsCommand, NoSuchGroup(*o.group, *all));
  auto info = log.Info();
  if (!info) return ReportFailure(kGroupsCommand, info.error());
  const uint64_t current = found != all->end() ? found->position : info->first_offset;  // a new group's start
  auto target = ResolveTarget(*o.reset_to, log, *info);
  if (!target) return ReportFailure(kGroupsCommand, target.error());
  // The same check Reset makes, so that a dry run fails where the real run would.
  if (*target > info->next_offset) {
    return ReportFailure(kGroupsCommand, eventlog::Status::InvalidArgument(fmt::format(
                                       "cannot reset to {}: past the log's end (next offset {})", *target,
                                       info->next_offset)));
  }
  if (o.execute) {
    auto groups = eventlog::ConsumerGroups::Open(log);
    if (!groups) return ReportFailure(kGroupsCommand, groups.error());
    auto reset = (*groups)->Reset(*o.group, *target, o.create);
    if (!reset) {
      // Deleted by another process since the plan was read.
      const bool gone = reset.error().code() == eventlog::StatusCode::kNotFound;
      return ReportFailure(kGroupsCommand, gone ? NoSuchGroup(*o.group, {}) : reset.error());
    }
    target = reset->position;
  }
  OutputBuffer out(STDOUT_FILENO);
  AppendTable({{"GROUP", "CURRENT", "NEW"}, {*o.group, std::to_string(current), std::to_string(*target)}},
              out);
  int status = Finish(out);
  if (!o.execute) PrintNote(kGroupsCommand, "dry run: nothing changed; add --execute to move the position");
  return status;
}

}  // namespace

CLI::App* RegisterGroupsCommand(CLI::App& parent, GroupsCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "groups", "List consumer groups with their positions and lag; reset or delete one");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  auto* group = app->add_option_function<std::string>(
                       "-g,--group", [&o](const std::string& name) { o.group = name; },
                       "Only this group; --reset-to and --delete need it")
                    ->type_name("GROUP")
                    ->check(GroupNameValidator());
  auto* json = app->add_flag("--json", o.json, "One JSON object per group: group, position, lag, updated");
  auto* reset = app->add_option_function<std::string>(
                       "--reset-to", [&o](const std::string& s) { o.reset_to = ParseResetTarget(s, NowNanos()); },
                       "Move the group to POS (an offset, beginning, end, or -N) or to the first event at or "
                       "after @TIME (TIME as for tail --since); prints the plan, and applies it only with "
                       "--execute")
                    ->type_name("POS|@TIME")
                    ->check(ResetTargetValidator())
                    ->needs(group);
  app->add_flag("--execute", o.execute, "Apply --reset-to (it may move the position backwards)")->needs(reset);
  app->add_flag("--create", o.create, "With --reset-to: create GROUP if it does not exist (else an error)")
      ->needs(reset);
  auto* remove = app->add_flag("--delete", o.remove, "Delete the group")->needs(group);
  json->excludes(reset)->excludes(remove);
  reset->excludes(remove);
  return app;
}

int RunGroupsCommand(const GroupsCommandOptions& o) {
  auto log =
      eventlog::Log::Open(o.log_dir, {.create_if_missing = false, .limits = {}, .fs = nullptr});
  if (!log) return ReportFailure(kGroupsCommand, log.error());
  PrintRecoveryNotes(kGroupsCommand, **log);
  if (o.reset_to) return Reset(o, **log);
  if (!o.remove) return List(o, **log);
  auto groups = eventlog::ConsumerGroups::Open(**log);
  if (!groups) return ReportFailure(kGroupsCommand, groups.error());
  eventlog::Status deleted = (*groups)->Delete(*o.group);
  return deleted.ok() ? kExitOk : ReportFailure(kGroupsCommand, deleted);
}

}  // namespace evlog
