// Shell completion scripts for bash, zsh and fish, written from a description of the command
// tree. `evlog completion SHELL` builds that description from the CLI11 definition itself
// (commands/completion_command.cc), so an option added to a subcommand is completed without
// anyone remembering to edit a script.
#pragma once

#include <string>
#include <vector>

namespace evlog {

struct CompletionOption {
  std::vector<std::string> short_names;  // without the dash: "K"
  std::vector<std::string> long_names;   // without the dashes: "key-separator"
  bool takes_value = false;              // the next word is the option's value, not a command
  std::string description;
};

struct CompletionCommand {
  std::string name;
  std::string description;
  std::vector<CompletionOption> options;
  std::vector<CompletionCommand> subcommands;
};

// Each script completes subcommand names where a subcommand may follow, a command's options
// after a dash, and file names elsewhere (a log is a directory; values are mostly paths).
std::string BashCompletionScript(const CompletionCommand& root);
std::string ZshCompletionScript(const CompletionCommand& root);
std::string FishCompletionScript(const CompletionCommand& root);

}  // namespace evlog
