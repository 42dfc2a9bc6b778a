#include "commands/completion_command.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "term/completion_scripts.h"
#include "term/exit_codes.h"

namespace evlog {
namespace {

// CLI11 hides an option or subcommand by giving it an empty group.
bool Hidden(const CLI::Option* option) { return option->get_group().empty(); }
bool Hidden(const CLI::App* app) { return app->get_group().empty(); }

CompletionOption DescribeOption(const CLI::Option& option) {
  CompletionOption described;
  described.short_names = option.get_snames();
  described.long_names = option.get_lnames();
  // Flags (--help among them) expect no value; an option whose value is optional is taken
  // as one without, since the word after it is then most often a positional argument.
  described.takes_value = option.get_items_expected_min() > 0;
  described.description = option.get_description();
  return described;
}

void AddOptions(const CLI::App& app, CompletionCommand& command) {
  for (const CLI::Option* option : app.get_options()) {
    if (option->nonpositional() && !Hidden(option)) command.options.push_back(DescribeOption(*option));
  }
}

CompletionCommand DescribeCommand(const CLI::App& app) {
  CompletionCommand command{app.get_name(), app.get_description(), {}, {}};
  AddOptions(app, command);
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    // An option group is a nameless subcommand whose options belong to its parent.
    if (sub->get_name().empty()) {
      AddOptions(*sub, command);
    } else if (!Hidden(sub)) {
      command.subcommands.push_back(DescribeCommand(*sub));
    }
  }
  return command;
}

}  // namespace

CLI::App* RegisterCompletionCommand(CLI::App& parent, CompletionCommandOptions& options) {
  CLI::App* app = parent.add_subcommand("completion", "Print a completion script for bash, zsh or fish");
  app->group("");
  app->add_option("shell", options.shell, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  return app;
}

int RunCompletionCommand(const CLI::App& root, const CompletionCommandOptions& options) {
  CompletionCommand tree = DescribeCommand(root);
  std::string script = options.shell == "bash" ? BashCompletionScript(tree)
                       : options.shell == "zsh" ? ZshCompletionScript(tree)
                                                : FishCompletionScript(tree);
  fmt::print("{}", script);
  return std::fflush(stdout) == 0 ? kExitOk : kExitError;
}

}  // namespace evlog
