// `evlog completion bash|zsh|fish`: prints a completion script for that shell, written from
// the command tree the CLI defines, hidden subcommands excepted. Hidden itself: packages
// install its output (cmake --install runs it), users rarely need to.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace evlog {

struct CompletionCommandOptions {
  std::string shell;
};

CLI::App* RegisterCompletionCommand(CLI::App& parent, CompletionCommandOptions& options);

// `root` is the whole CLI, walked after every subcommand is registered.
int RunCompletionCommand(const CLI::App& root, const CompletionCommandOptions& options);

}  // namespace evlog
