#include "commands/stat_command.h"

#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "term/byte_size.h"
#include "term/exit_codes.h"
#include "codec/json_envelope.h"
#include "codec/output_buffer.h"
#include "term/report.h"
#include "term/table.h"
#include "codec/time_parse.h"

namespace evlog {
namespace {

constexpr char kStatCommand[] = "stat";

void AppendText(const std::string& dir, const std::string& id, const eventlog::LogStats& s,
                const std::vector<eventlog::GroupInfo>& groups, OutputBuffer& out) {
  const eventlog::LogInfo& i = s.info;
  out.Append(fmt::format("log            {}\nlog id         {}\n", dir, id));
  if (s.event_count == 0) {
    out.Append(fmt::format("offsets        none (empty; the next event gets offset {})\n", i.next_offset));
  } else {
    out.Append(fmt::format("offsets        {}..{} ({} events)\n", i.first_offset, i.next_offset - 1, s.event_count));
    out.Append(fmt::format("time range     {} .. {}\n", Rfc3339Nanos(s.first_timestamp_ns), Rfc3339Nanos(i.last_timestamp_ns)));
  }
  out.Append(fmt::format("segments       {} (rolled at {}; events up to {})\n", i.segment_count,
                         FormatByteSize(i.segment_bytes), FormatByteSize(i.max_event_bytes)));
  out.Append(fmt::format("bytes on disk  {}\n", FormatByteSize(s.bytes_on_disk)));
  for (const eventlog::GroupInfo& g : groups) {
    out.Append(fmt::format("group          {}  position {}  lag {}\n", DisplayText(g.name), g.position, eventlog::GroupLag(g, i)));
  }
}

void AppendJson(const std::string& dir, const std::string& id, const eventlog::LogStats& s,
                const std::vector<eventlog::GroupInfo>& groups, OutputBuffer& out) {
  const eventlog::LogInfo& i = s.info;
  out.Append("{\"log\":");
  AppendJsonString(dir, out);
  out.Append(fmt::format(",\"log_id\":\"{}\",\"first_offset\":{},\"next_offset\":{},\"events\":{}", id,
                         i.first_offset, i.next_offset, s.event_count));
  if (s.event_count > 0) {
    out.Append(fmt::format(",\"last_offset\":{},\"first_timestamp\":\"{}\",\"last_timestamp\":\"{}\"",
                           i.next_offset - 1, Rfc3339Nanos(s.first_timestamp_ns), Rfc3339Nanos(i.last_timestamp_ns)));
  } else {
    out.Append(",\"last_offset\":null,\"first_timestamp\":null,\"last_timestamp\":null");
  }
  out.Append(fmt::format(",\"segments\":{},\"segment_bytes\":{},\"max_event_bytes\":{},\"bytes_on_disk\":{},\"groups\":[",
                         i.segment_count, i.segment_bytes, i.max_event_bytes, s.bytes_on_disk));
  for (size_t n = 0; n < groups.size(); ++n) {
    out.Append(n == 0 ? "{\"group\":" : ",{\"group\":");
    AppendJsonString(groups[n].name, out);  // names are stored as given; non-UTF-8 bytes are escaped
    out.Append(fmt::format(",\"position\":{},\"lag\":{}}}", groups[n].position, eventlog::GroupLag(groups[n], i)));
  }
  out.Append("]}\n");
}

}  // namespace

CLI::App* RegisterStatCommand(CLI::App& parent, StatCommandOptions& o) {
  CLI::App* app = parent.add_subcommand(
      "stat", "Show offsets, event count, bytes on disk, segments, time range and consumer groups");
  app->add_option("LOG", o.log_dir, "The log directory")->required();
  app->add_flag("--json", o.json, "One JSON object, for scripts");
  return app;
}

int RunStatCommand(const StatCommandOptions& o) {
  auto log = eventlog::Log::Open(o.log_dir, {});
  if (!log) return ReportFailure(kStatCommand, log.error());
  auto stats = (*log)->Stats();
  if (!stats) return ReportFailure(kStatCommand, stats.error());
  auto groups = eventlog::ConsumerGroups::ListIfPresent(**log);  // stat never creates the store
  if (!groups) return ReportFailure(kStatCommand, groups.error());
  OutputBuffer out(STDOUT_FILENO);
  if (o.json) {
    AppendJson(o.log_dir, (*log)->log_id(), *stats, *groups, out);
  } else {
    AppendText(o.log_dir, (*log)->log_id(), *stats, *groups, out);
  }
  out.Flush();
  return out.failed() ? kExitError : kExitOk;
}

}  // namespace evlog
