#include "commands/help_command.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <optional>

#include "term/exit_codes.h"
#include "term/report.h"
#include "term/suggest.h"

namespace evlog {
namespace {

bool IsGlobalFlag(const std::string& arg) { return arg == "-q" || arg == "--quiet"; }

// Where the words naming the subcommand start: after the program name and global flags.
size_t FirstWord(const std::vector<std::string>& args) {
  size_t i = 1;
  while (i < args.size() && IsGlobalFlag(args[i])) ++i;
  return i;
}

std::vector<std::string> SubcommandNames(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// "--name" and "-n" for every option of `app` and of its parents (-q is global).
std::vector<std::string> OptionNames(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
      for (const std::string& name : option->get_snames()) names.push_back("-" + name);
    }
  }
  return names;
}

// The first word after the innermost subcommand's name that is not a subcommand, when the
// innermost expects one: `capture sqlit` names "sqlit"; nothing for `tail LOG`.
std::optional<std::string> UnknownSubcommand(CLI::App& innermost, const std::vector<std::string>& args,
                                              size_t after) {
  if (SubcommandNames(innermost).empty()) return std::nullopt;
  for (size_t i = after; i < args.size(); ++i) {
    if (!args[i].starts_with("-")) return args[i];
  }
  return std::nullopt;
}

// The first long option after `after` that `innermost` (and its parents) do not know.
std::optional<std::string> UnknownOption(const CLI::App& innermost, const std::vector<std::string>& args,
                                         size_t after) {
  const std::vector<std::string> known = OptionNames(&innermost);
  for (size_t i = after; i < args.size(); ++i) {
    if (args[i] == "--") break;  // what follows is data (replay's command)
    if (!args[i].starts_with("--")) continue;
    std::string name = args[i].substr(0, args[i].find('='));
    if (std::find(known.begin(), known.end(), name) == known.end()) return name;
  }
  return std::nullopt;
}

// "did you mean 'tail'?" when a known name is close to `typed`; nothing otherwise.
void SuggestName(std::string_view command, const std::string& typed, const std::vector<std::string>& known) {
  std::optional<std::string> closest = ClosestName(typed, known);
  if (!closest) return;
  fmt::print(stderr, "evlog: {}did you mean '{}'?\n", command.empty() ? "" : std::string(command) + ": ", *closest);
}

// The innermost subcommand parsed ("capture postgres"), and where its arguments start.
struct ParsedPath {
  CLI::App* innermost;
  size_t after;      // index in args of the first word after its name
  std::string path;  // empty for the root
};

ParsedPath InnermostParsed(CLI::App& root, const std::vector<std::string>& args) {
  ParsedPath parsed{&root, FirstWord(args), ""};
  for (std::vector<CLI::App*> subs = root.get_subcommands(); !subs.empty(); subs = parsed.innermost->get_subcommands()) {
    parsed.innermost = subs.back();
    parsed.path += (parsed.path.empty() ? "" : " ") + parsed.innermost->get_name();
    auto name = std::find(args.begin() + static_cast<std::ptrdiff_t>(parsed.after), args.end(), parsed.innermost->get_name());
    if (name != args.end()) parsed.after = static_cast<size_t>(name - args.begin()) + 1;
  }
  return parsed;
}

}  // namespace

void RegisterHelpCommand(CLI::App& root) {
  CLI::App* help = root.add_subcommand("help", "Show the help of a subcommand: evlog help tail, evlog help capture postgres");
  // Never parsed: RewriteHelpRequest turns `help X` into `X --help` first. The positional
  // documents what it takes.
  static std::vector<std::string> never_read;
  help->add_option("SUBCOMMAND", never_read, "The subcommand (and nested subcommand) to describe");
}

std::vector<std::string> RewriteHelpRequest(CLI::App& root, std::vector<std::string> args) {
  const size_t first = FirstWord(args);
  if (first >= args.size() || args[first] != "help") return args;
  std::vector<std::string> words(args.begin() + static_cast<std::ptrdiff_t>(first) + 1, args.end());
  args.resize(first);
  // `evlog help --help` and `evlog help help` describe help itself.
  if (!words.empty() && (words[0] == "--help" || words[0] == "-h" || words[0] == "help")) {
    args.push_back("help");
    args.push_back("--help");
    return args;
  }
  CLI::App* app = &root;
  for (const std::string& word : words) {
    const std::vector<std::string> names = SubcommandNames(*app);
    if (names.empty()) break;  // past a subcommand without subcommands: `help tail LOG` is tail's help
    args.push_back(word);
    // Not a subcommand here: parsed without --help, so that the error names it (with a
    // guess) instead of CLI11 printing the parent's help.
    if (std::find(names.begin(), names.end(), word) == names.end()) return args;
    app = app->get_subcommand(word);
  }
  args.push_back("--help");
  return args;
}

int HandleParseError(CLI::App& root, const CLI::ParseError& error, const std::vector<std::string>& args) {
  if (error.get_exit_code() == 0) return root.exit(error);
  const ParsedPath parsed = InnermostParsed(root, args);
  std::optional<std::string> unknown_sub = UnknownSubcommand(*parsed.innermost, args, parsed.after);
  if (parsed.innermost == &root) {
    // CLI11 calls a misspelt subcommand "A subcommand is required"; name it instead.
    std::string what = unknown_sub ? fmt::format("unknown subcommand '{}'", *unknown_sub) : error.what();
    fmt::print(stderr, "evlog: {}\n", what);
    if (unknown_sub) SuggestName("", *unknown_sub, SubcommandNames(root));
    fmt::print(stderr, "evlog: run 'evlog --help' for usage\n");
    return kExitUsage;
  }
  // Messages are headed by the top-level subcommand, as every other message of it is.
  const std::string command = parsed.path.substr(0, parsed.path.find(' '));
  if (unknown_sub) {
    PrintError(command, fmt::format("unknown subcommand '{}'", *unknown_sub));
    SuggestName(command, *unknown_sub, SubcommandNames(*parsed.innermost));
  } else {
    PrintError(command, error.what());
    if (std::optional<std::string> option = UnknownOption(*parsed.innermost, args, parsed.after)) {
      SuggestName(command, *option, OptionNames(parsed.innermost));
    }
  }
  // The help to point at is the innermost subcommand's: `evlog capture postgres --help`.
  PrintError(command, "run 'evlog " + parsed.path + " --help' for usage");
  return kExitUsage;
}

}  // namespace evlog
