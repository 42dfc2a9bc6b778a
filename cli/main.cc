// evlog: the command-line tool for eventlog logs. main only assembles the subcommands;
// each lives in its own *_command.cc with its options, flag registration and Run function.
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
#include "capture/capture_command.h"
#include "commands/ack_command.h"
#include "commands/append_command.h"
#include "commands/compact_command.h"
#include "commands/completion_command.h"
#include "commands/export_command.h"
#include "commands/groups_command.h"
#include "commands/import_command.h"
#include "commands/replay_command.h"
#include "commands/stat_command.h"
#include "commands/tail_command.h"
#include "commands/verify_command.h"
#include "eventlog/log.h"
#include "term/exit_codes.h"
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

// CLI11 would exit with 100+ on a usage error; evlog promises 2. Help and --version
// arrive here as "errors" with exit code 0 and are printed to stdout as usual.
int HandleParseError(CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
  if (error.get_exit_code() == 0) return app.exit(error);
  std::vector<CLI::App*> parsed = app.get_subcommands();
  if (parsed.empty()) {
    // CLI11 calls a misspelt subcommand "A subcommand is required"; name it instead.
    bool unknown = argc > 1 && argv[1][0] != '-';
    std::string what = unknown ? fmt::format("unknown subcommand '{}'", argv[1]) : error.what();
    fmt::print(stderr, "evlog: {}\nevlog: run 'evlog --help' for usage\n", what);
    return evlog::kExitUsage;
  }
  const std::string& command = parsed.back()->get_name();
  // The help to point at is the innermost subcommand's: `evlog capture postgres --help`.
  std::string path = command;
  for (CLI::App* sub = parsed.back(); !sub->get_subcommands().empty();) {
    sub = sub->get_subcommands().back();
    path += " " + sub->get_name();
  }
  evlog::PrintError(command, error.what());
  evlog::PrintError(command, "run 'evlog " + path + " --help' for usage");
  return evlog::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  ReserveStandardFds();
  // Write errors are handled where they happen (EPIPE ends `tail` quietly, fails `append
  // -p`); a file-size limit must surface as EFBIG from the library, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);

  // Named here, or CLI11 takes argv[0] and usage lines show the binary's full path.
  CLI::App app{"evlog: a local, reliable, append-only event log", "evlog"};
  app.set_version_flag("--version", fmt::format("evlog {} (log format {})", EVLOG_VERSION, eventlog::kLogFormatVersion),
                       "Print the version and exit");
  app.require_subcommand(1);
  app.footer(
      "Exit status: 0 success, 1 error, 2 usage error, 3 --expect-next conflict (nothing "
      "appended), 4 corruption found while reading, 5 replay could not deliver an event.");
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
  evlog::CompletionCommandOptions completion_options;
  CLI::App* completion = evlog::RegisterCompletionCommand(app, completion_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return HandleParseError(app, error, argc, argv);
  }
  if (append->parsed()) return evlog::RunAppendCommand(append_options);
  if (ack->parsed()) return evlog::RunAckCommand(ack_options);
  if (compact->parsed()) return evlog::RunCompactCommand(compact_options);
  if (export_app->parsed()) return evlog::RunExportCommand(export_options);
  if (groups->parsed()) return evlog::RunGroupsCommand(groups_options);
  if (import_app->parsed()) return evlog::RunImportCommand(import_options);
  if (replay->parsed()) return evlog::RunReplayCommand(replay_options);
  if (verify->parsed()) return evlog::RunVerifyCommand(verify_options);
  if (stat->parsed()) return evlog::RunStatCommand(stat_options);
  if (capture->parsed()) return evlog::RunCaptureCommand(capture_options);
  if (apply->parsed()) return evlog::RunApplyCommand(apply_options);
  if (completion->parsed()) return evlog::RunCompletionCommand(app, completion_options);
  return evlog::RunTailCommand(tail_options);
}
