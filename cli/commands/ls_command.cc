#include "commands/ls_command.h"

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include "args/number_option.h"
#include "codec/json_envelope.h"
#include "codec/output_buffer.h"
#include "codec/time_parse.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "term/byte_size.h"
#include "term/exit_codes.h"
#include "term/report.h"
#include "term/table.h"

namespace evlog {
namespace {

constexpr char kLsCommand[] = "ls";

// One log found: its figures, or why they could not be read.
struct LogSummary {
  std::string name;  // the path below DIR ("app/orders"), or DIR itself when it is a log
  eventlog::LogStats stats;
  uint64_t groups = 0;
  std::optional<uint64_t> max_lag;  // none without groups
  std::optional<eventlog::Status> error;
};

struct Listing {
  std::vector<LogSummary> logs;
  int status = kExitOk;  // the worst exit status met: corruption (4) over other errors (1)

  void Fail(int code) {
    if (status != kExitCorruption) status = code;
  }
};

// The log's figures as stat reads them, or the error that stopped the reading.
LogSummary Summarize(std::string name, const eventlog::Log& log) {
  LogSummary summary{.name = std::move(name)};
  auto groups = eventlog::ConsumerGroups::ListIfPresent(log);  // never creates the store
  if (!groups) {
    summary.error = groups.error();
    return summary;
  }
  // Read after the positions, as `groups` does: every position is then at most next_offset.
  auto stats = log.Stats();
  if (!stats) {
    summary.error = stats.error();
    return summary;
  }
  summary.stats = *stats;
  summary.groups = groups->size();
  for (const eventlog::GroupInfo& g : *groups) {
    const uint64_t lag = eventlog::GroupLag(g, stats->info);
    summary.max_lag = std::max(summary.max_lag.value_or(0), lag);
  }
  return summary;
}

void Visit(const std::filesystem::path& path, const std::string& name, uint64_t depth, bool descend,
           Listing& listing);

// Searches the entries of a directory that is not a log. Names starting with '.' are
// skipped (import's scratch logs among them); a symbolic link is looked at but not
// searched, so that a link loop cannot run the search in circles.
void VisitEntries(const std::filesystem::path& dir, const std::string& name, uint64_t depth, Listing& listing) {
  std::error_code error;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::filesystem::directory_entry& entry = *it;
    const std::string child = entry.path().filename().string();
    if (child.starts_with(".")) continue;
    std::error_code type_error;
    if (!entry.is_directory(type_error)) continue;  // a file, or a link to one (or to nothing)
    const bool link = entry.is_symlink(type_error);
    Visit(entry.path(), name.empty() ? child : name + "/" + child, depth - 1, !link, listing);
  }
  if (error) {
    PrintError(kLsCommand, fmt::format("cannot read {}: {}", dir.string(), error.message()));
    listing.Fail(kExitError);
  }
}

void Visit(const std::filesystem::path& path, const std::string& name, uint64_t depth, bool descend,
           Listing& listing) {
  // A directory its user may not search cannot be told from a log: say so, list nothing.
  if (access(path.c_str(), X_OK) != 0) {
    PrintError(kLsCommand, fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
    listing.Fail(kExitError);
    return;
  }
  auto log = eventlog::Log::Open(path.string(), {.create_if_missing = false, .limits = {}, .fs = nullptr});
  if (log) {
    listing.logs.push_back(Summarize(name.empty() ? path.string() : name, **log));
  } else if (log.error().code() != eventlog::StatusCode::kNotFound) {
    // META unreadable, or lost while segments remain: a damaged log, listed as such.
    listing.logs.push_back(LogSummary{.name = name.empty() ? path.string() : name, .error = log.error()});
  } else if (descend && depth > 0) {
    VisitEntries(path, name, depth, listing);
  }
}

std::string LastTime(const LogSummary& log) {
  if (log.stats.event_count == 0) return "-";
  return Rfc3339Nanos(log.stats.info.last_timestamp_ns).substr(0, 19) + "Z";  // to the second
}

std::string GroupsColumn(const LogSummary& log) {
  if (log.groups == 0) return "-";
  return fmt::format("{} (max lag {})", log.groups, *log.max_lag);
}

// The ERROR column appears only when some log has one, so that a healthy listing stays narrow.
void AppendText(const std::vector<LogSummary>& logs, OutputBuffer& out) {
  const bool any_error = std::any_of(logs.begin(), logs.end(), [](const LogSummary& l) { return l.error.has_value(); });
  std::vector<TableRow> rows{{"LOG", "EVENTS", "SIZE", "LAST EVENT", "GROUPS"}};
  if (any_error) rows[0].push_back("ERROR");
  for (const LogSummary& log : logs) {
    if (log.error) {
      rows.push_back({log.name, "-", "-", "-", "-", log.error->message()});
      continue;
    }
    rows.push_back({log.name, std::to_string(log.stats.event_count), FormatByteSizeShort(log.stats.bytes_on_disk),
                    LastTime(log), GroupsColumn(log)});
    if (any_error) rows.back().push_back("");
  }
  AppendTable(rows, out);
}

// {"log":"app/orders","events":3,"bytes_on_disk":8192,"next_offset":3,
//  "last_timestamp":"2026-12-01T07:00:00.123456789Z","groups":1,"max_lag":2,"error":null}
// A damaged log has every figure null and the error's message.
void AppendJson(const std::vector<LogSummary>& logs, OutputBuffer& out) {
  for (const LogSummary& log : logs) {
    out.Append("{\"log\":");
    AppendJsonString(log.name, out);
    if (log.error) {
      out.Append(",\"events\":null,\"bytes_on_disk\":null,\"next_offset\":null,\"last_timestamp\":null,"
                 "\"groups\":null,\"max_lag\":null,\"error\":");
      AppendJsonString(log.error->message(), out);
      out.Append("}\n");
      continue;
    }
    const eventlog::LogStats& s = log.stats;
    out.Append(fmt::format(",\"events\":{},\"bytes_on_disk\":{},\"next_offset\":{},\"last_timestamp\":{}", s.event_count,
                           s.bytes_on_disk, s.info.next_offset,
                           s.event_count == 0 ? "null" : "\"" + Rfc3339Nanos(s.info.last_timestamp_ns) + "\""));
    out.Append(fmt::format(",\"groups\":{},\"max_lag\":{},\"error\":null}}\n", log.groups,
                           log.max_lag ? std::to_string(*log.max_lag) : "null"));
  }
}

}  // namespace

CLI::App* RegisterLsCommand(CLI::App& parent, LsCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "ls", "List the logs under DIR with their events, size, last event time and consumer groups' lag");
  app->add_option("DIR", o.dir, "Where to look (default: the current directory); DIR may itself be a log");
  AddWholeNumberOption(*app, "--depth", [&o](uint64_t n) { o.depth = n; },
                       "Search N directory levels below DIR (default 2; 0: DIR alone). Names starting with "
                       "'.' are skipped, symbolic links are listed but not searched")
      ->type_name("N");
  app->add_flag("--json", o.json,
                "One JSON object per log: log, events, bytes_on_disk, next_offset, last_timestamp, groups, "
                "max_lag, error");
  return app;
}

int RunLsCommand(const LsCommandOptions& o) {
  struct stat st {};
  if (stat(o.dir.c_str(), &st) != 0) {
    PrintError(kLsCommand, fmt::format("{}: {}", o.dir, std::strerror(errno)));
    return kExitError;
  }
  if (!S_ISDIR(st.st_mode)) {
    PrintError(kLsCommand, fmt::format("{}: not a directory", o.dir));
    return kExitError;
  }
  Listing listing;
  Visit(o.dir, "", o.depth, true, listing);
  std::sort(listing.logs.begin(), listing.logs.end(),
            [](const LogSummary& a, const LogSummary& b) { return a.name < b.name; });
  for (const LogSummary& log : listing.logs) {
    if (log.error) listing.Fail(ExitCodeFor(*log.error));
  }
  OutputBuffer out(STDOUT_FILENO);
  if (o.json) {
    AppendJson(listing.logs, out);
  } else {
    AppendText(listing.logs, out);
  }
  out.Flush();
  if (out.error() == EPIPE) return listing.status;  // `| head`
  if (out.failed()) {
    PrintError(kLsCommand, std::string("cannot write to stdout: ") + std::strerror(out.error()));
    return kExitError;
  }
  return listing.status;
}

}  // namespace evlog
