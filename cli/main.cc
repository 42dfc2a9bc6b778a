// evlog: the command-line tool for eventlog logs. main only assembles the subcommands;
// each lives in its own *_command.cc with its options, flag registration and Run function.
// This file is the main of two programs (commands/connector_handoff.h): evlog, and, with
// EVLOG_WITH_CONNECTORS, evlog-connectors, which alone runs capture, apply and bridge.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "apply/apply_command.h"
#include "bridge/bridge_command.h"
#include "capture/capture_command.h"
#include "commands/ack_command.h"
#include "commands/append_command.h"
#include "commands/compact_command.h"
#include "commands/completion_command.h"
#include "commands/connector_handoff.h"
#include "commands/export_command.h"
#include "commands/examples.h"
#include "commands/groups_command.h"
#include "commands/help_command.h"
#include "commands/import_command.h"
#include "commands/ls_command.h"
#include "commands/replay_command.h"
#include "commands/stat_command.h"
#include "commands/tail_command.h"
#include "commands/verify_command.h"
#include "eventlog/log.h"
#include "term/exit_codes.h"
#include "term/mapping_fault.h"
#include "term/report.h"

namespace {

// If evlog is started with fd 0, 1 or 2 closed, the next file it opens would take that
// number, and a write meant for stdout could land in a segment. Park /dev/null there, opened
// in the direction that keeps the closed fd's behaviour: reads from 0 and writes to 1 and 2
// still fail (EBADF), so the error is reported instead of passing silently.
void ReserveStandardFds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    int reserved = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
    if (reserved != fd) _exit(evlog::kExitError);  // cannot happen: open takes the lowest free fd
  }
}

// The command line as strings, with `evlog help X` turned into `evlog X --help`.
std::vector<std::string> Arguments(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (args.empty()) args.push_back("evlog");
  return evlog::RewriteHelpRequest(app, std::move(args));
}

}  // namespace

int main(int argc, char** argv) {
  ReserveStandardFds();
  // Write errors are handled where they happen (EPIPE ends `tail` quietly, fails `append
  // -p`); a file-size limit must surface as EFBIG from the library, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
  evlog::ReportMappingFaults();

  // Named here, or CLI11 takes argv[0] and usage lines show the binary's full path.
  CLI::App app{"evlog: a local, reliable, append-only event log", "evlog"};
  app.set_version_flag("--version", fmt::format("evlog {} (log format {})", EVLOG_VERSION, eventlog::kLogFormatVersion),
                       "Print the version and exit");
  app.require_subcommand(1);
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet,
               "No notes on stderr (repairs made, summaries, lock waits, dry-run reminders) and no progress "
               "lines; errors and warnings still appear");
  // -q may also follow the subcommand: `evlog tail -q LOG`.
  app.fallthrough();
  app.footer(
      "Exit status: 0 success, 1 error, 2 usage error, 3 conflict (--expect-next did not match: nothing "
      "appended; or replay/bridge found their group reset by another program), 4 corruption found while "
      "reading, 5 replay could not deliver an event.");
  evlog::AppendCommandOptions append_options;
  evlog::TailCommandOptions tail_options;
  CLI::App* append = evlog::RegisterAppendCommand(app, append_options);
  evlog::RegisterTailCommand(app, tail_options);
  evlog::AckCommandOptions ack_options;
  CLI::App* ack = evlog::RegisterAckCommand(app, ack_options);
  evlog::CompactCommandOptions compact_options;
  CLI::App* compact = evlog::RegisterCompactCommand(app, compact_options);
  evlog::ExportCommandOptions export_options;
  CLI::App* export_app = evlog::RegisterExportCommand(app, export_options);
  evlog::GroupsCommandOptions groups_options;
  CLI::App* groups = evlog::RegisterGroupsCommand(app, groups_options);
  evlog::ImportCommandOptions import_options;
  CLI::App* import_app = evlog::RegisterImportCommand(app, import_options);
  evlog::ReplayCommandOptions replay_options;
  CLI::App* replay = evlog::RegisterReplayCommand(app, replay_options);
  evlog::VerifyCommandOptions verify_options;
  CLI::App* verify = evlog::RegisterVerifyCommand(app, verify_options);
  evlog::StatCommandOptions stat_options;
  CLI::App* stat = evlog::RegisterStatCommand(app, stat_options);
  evlog::CaptureCommandOptions capture_options;
  CLI::App* capture = evlog::RegisterCaptureCommand(app, capture_options);
  evlog::ApplyCommandOptions apply_options;
  CLI::App* apply = evlog::RegisterApplyCommand(app, apply_options);
  evlog::BridgeCommandOptions bridge_options;
  CLI::App* bridge = evlog::RegisterBridgeCommand(app, bridge_options);
  evlog::LsCommandOptions ls_options;
  CLI::App* ls = evlog::RegisterLsCommand(app, ls_options);
  evlog::RegisterHelpCommand(app);
  evlog::CompletionCommandOptions completion_options;
  CLI::App* completion = evlog::RegisterCompletionCommand(app, completion_options);
  evlog::AddExamples(app);
  // After the subcommands, which inherit the footer above (CLI11 copies it to each).
  app.footer(app.get_footer() +
             "\n'evlog help SUBCOMMAND' (or 'evlog SUBCOMMAND --help') describes one subcommand, with examples.");

  std::vector<std::string> args = Arguments(app, argc, argv);
  try {
    // CLI11 takes the arguments last first, without the program name.
    app.parse(std::vector<std::string>(args.rbegin(), args.rend() - 1));
  } catch (const CLI::ParseError& error) {
    return evlog::HandleParseError(app, error, args);
  }
  evlog::SetQuiet(quiet);
  if (append->parsed()) return evlog::RunAppendCommand(append_options);
  if (ack->parsed()) return evlog::RunAckCommand(ack_options);
  if (compact->parsed()) return evlog::RunCompactCommand(compact_options);
  if (export_app->parsed()) return evlog::RunExportCommand(export_options);
  if (groups->parsed()) return evlog::RunGroupsCommand(groups_options);
  if (import_app->parsed()) return evlog::RunImportCommand(import_options);
  if (replay->parsed()) return evlog::RunReplayCommand(replay_options);
  if (verify->parsed()) return evlog::RunVerifyCommand(verify_options);
  if (stat->parsed()) return evlog::RunStatCommand(stat_options);
#if EVLOG_WITH_CONNECTORS
  if (capture->parsed()) return evlog::RunCaptureCommand(capture_options);
  if (apply->parsed()) return evlog::RunApplyCommand(apply_options);
  if (bridge->parsed()) return evlog::RunBridgeCommand(bridge_options);
#else
  for (const CLI::App* connector : {capture, apply, bridge}) {
    if (connector->parsed()) return evlog::HandOffToConnectors(connector->get_name().c_str(), argv);
  }
#endif
  if (ls->parsed()) return evlog::RunLsCommand(ls_options);
  if (completion->parsed()) return evlog::RunCompletionCommand(app, completion_options);
  return evlog::RunTailCommand(tail_options);
}
