#include "term/completion_scripts.h"

#include <fmt/core.h>

#include <string_view>

namespace evlog {
namespace {

// A command together with the names that lead to it: {"evlog", "capture", "sqlite"}.
struct CommandAt {
  const CompletionCommand* command;
  std::vector<std::string> path;
};

void CollectCommands(const CompletionCommand& command, std::vector<std::string> path, std::vector<CommandAt>& out) {
  path.push_back(command.name);
  out.push_back({&command, path});
  for (const CompletionCommand& sub : command.subcommands) CollectCommands(sub, path, out);
}

std::vector<CommandAt> AllCommands(const CompletionCommand& root) {
  std::vector<CommandAt> commands;
  CollectCommands(root, {}, commands);
  return commands;
}

std::string Join(const std::vector<std::string>& words, std::string_view separator) {
  std::string joined;
  for (const std::string& word : words) joined += (joined.empty() ? "" : std::string(separator)) + word;
  return joined;
}

// One line, so that a description never breaks the script's own line structure.
std::string OneLine(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return line;
}

// Single quotes in POSIX shells and zsh: nothing inside is special but the quote itself.
std::string ShellQuote(std::string_view text) {
  std::string quoted = "'";
  for (char c : OneLine(text)) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// fish's single quotes treat backslash and the quote as special.
std::string FishQuote(std::string_view text) {
  std::string quoted = "'";
  for (char c : OneLine(text)) {
    if (c == '\\' || c == '\'') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

std::vector<std::string> DashedNames(const CompletionOption& option) {
  std::vector<std::string> names;
  for (const std::string& name : option.long_names) names.push_back("--" + name);
  for (const std::string& name : option.short_names) names.push_back("-" + name);
  return names;
}

// A bash associative array from a command path ("evlog capture") to a space-separated word
// list: looked up without starting a subshell, which costs a keypress milliseconds. Global
// (-g) because bash-completion sources the script inside a function.
std::string BashTable(const std::string& name, const std::vector<CommandAt>& commands,
                      std::vector<std::string> (*words_of)(const CompletionCommand&)) {
  std::string table = fmt::format("declare -gA {}=(\n", name);
  for (const CommandAt& at : commands) {
    std::vector<std::string> words = words_of(*at.command);
    if (!words.empty()) table += fmt::format("  [{}]={}\n", ShellQuote(Join(at.path, " ")), ShellQuote(Join(words, " ")));
  }
  return table + ")\n";
}

std::vector<std::string> SubcommandNames(const CompletionCommand& command) {
  std::vector<std::string> names;
  for (const CompletionCommand& sub : command.subcommands) names.push_back(sub.name);
  return names;
}

std::vector<std::string> OptionNames(const CompletionCommand& command) {
  std::vector<std::string> names;
  for (const CompletionOption& option : command.options) {
    for (const std::string& name : DashedNames(option)) names.push_back(name);
  }
  return names;
}

std::vector<std::string> ValueOptionNames(const CompletionCommand& command) {
  std::vector<std::string> names;
  for (const CompletionOption& option : command.options) {
    if (!option.takes_value) continue;
    for (const std::string& name : DashedNames(option)) names.push_back(name);
  }
  return names;
}

// `_evlog__capture__sqlite`: zsh function names cannot hold the dashes a command name may.
std::string ZshFunctionName(const std::vector<std::string>& path) {
  std::string name = "_" + Join(path, "__");
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

// An _arguments description sits between brackets: brackets and backslashes inside it are
// escaped, or zsh would end the description early.
std::string ZshBracketed(std::string_view text) {
  std::string escaped;
  for (char c : OneLine(text)) {
    if (c == '[' || c == ']' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return "[" + escaped + "]";
}

std::string ZshFunction(const CommandAt& at) {
  const CompletionCommand& command = *at.command;
  std::string body;
  for (const CompletionOption& option : command.options) {
    for (const std::string& name : DashedNames(option)) {
      std::string spec = name + ZshBracketed(option.description) + (option.takes_value ? ":value:_files" : "");
      body += fmt::format("    {} \\\n", ShellQuote(spec));
    }
  }
  std::string function = fmt::format("{}() {{\n", ZshFunctionName(at.path));
  if (command.subcommands.empty()) return function + fmt::format("  _arguments \\\n{}    '*:file:_files'\n}}\n\n", body);

  function += "  local curcontext=$curcontext state state_descr line\n  typeset -A opt_args\n  local -a commands=(\n";
  for (const CompletionCommand& sub : command.subcommands) {
    function += fmt::format("    {}\n", ShellQuote(sub.name + ":" + OneLine(sub.description)));
  }
  function += fmt::format("  )\n  _arguments -C \\\n{}    '1: :->command' \\\n    '*:: :->argument'\n", body);
  function += fmt::format("  case $state in\n    command) _describe -t commands {} commands ;;\n    argument)\n      case $words[1] in\n",
                          ShellQuote(Join(at.path, " ") + " subcommand"));
  for (const CompletionCommand& sub : command.subcommands) {
    std::vector<std::string> sub_path = at.path;
    sub_path.push_back(sub.name);
    function += fmt::format("        {}) {} ;;\n", ShellQuote(sub.name), ZshFunctionName(sub_path));
  }
  return function + "      esac ;;\n  esac\n}\n\n";
}

// The fish condition that holds when the command line has reached `path` (beyond the root).
std::string FishReached(const std::vector<std::string>& path) {
  if (path.size() <= 1) return "__fish_use_subcommand";
  std::vector<std::string> tests;
  for (size_t i = 1; i < path.size(); ++i) tests.push_back("__fish_seen_subcommand_from " + path[i]);
  return Join(tests, "; and ");
}

}  // namespace

std::string BashCompletionScript(const CompletionCommand& root) {
  std::vector<CommandAt> commands = AllCommands(root);
  std::string prefix = "_" + root.name;
  std::string script = fmt::format("# bash completion for {0}; generated by `{0} completion bash`.\n\n", root.name);
  script += BashTable(prefix + "_subcommands", commands, SubcommandNames);
  script += BashTable(prefix + "_options", commands, OptionNames);
  script += BashTable(prefix + "_value_options", commands, ValueOptionNames);
  // The command path is the chain of subcommand names on the line; an option's value is
  // skipped, since a value may be any word, a subcommand's name included. An empty reply
  // falls back to file names (`complete -o default`).
  script += fmt::format(R"bash(
{0}() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}} path={1} word i
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${{COMP_WORDS[i]}}
    if [[ " ${{{0}_value_options[$path]}} " == *" $word "* ]]; then
      ((i++))
    elif [[ " ${{{0}_subcommands[$path]}} " == *" $word "* ]]; then
      path="$path $word"
    fi
  done
  if ((COMP_CWORD > 1)) && [[ " ${{{0}_value_options[$path]}} " == *" $prev "* ]]; then
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${{{0}_options[$path]}}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "${{{0}_subcommands[$path]}}" -- "$cur"))
  fi
}}
complete -o default -F {0} {1}
)bash",
                        prefix, root.name);
  return script;
}

std::string ZshCompletionScript(const CompletionCommand& root) {
  std::string script = fmt::format("#compdef {0}\n# zsh completion for {0}; generated by `{0} completion zsh`.\n\n", root.name);
  for (const CommandAt& at : AllCommands(root)) script += ZshFunction(at);
  return script + fmt::format("{} \"$@\"\n", ZshFunctionName({root.name}));
}

std::string FishCompletionScript(const CompletionCommand& root) {
  std::string script = fmt::format("# fish completion for {0}; generated by `{0} completion fish`.\n", root.name);
  for (const CommandAt& at : AllCommands(root)) {
    const CompletionCommand& command = *at.command;
    std::string reached = FishReached(at.path);
    std::string start = fmt::format("complete -c {} -n {}", root.name, FishQuote(reached));
    for (const CompletionOption& option : command.options) {
      std::string line = start;
      for (const std::string& name : option.short_names) line += " -s " + name;
      for (const std::string& name : option.long_names) line += " -l " + name;
      script += fmt::format("{}{} -d {}\n", line, option.takes_value ? " -r" : "", FishQuote(option.description));
    }
    if (command.subcommands.empty()) continue;
    // Offered until one of them is on the line; file names are not offered in their place.
    std::string not_yet = at.path.size() <= 1 ? reached
                                               : reached + "; and not __fish_seen_subcommand_from " +
                                                     Join(SubcommandNames(command), " ");
    for (const CompletionCommand& sub : command.subcommands) {
      script += fmt::format("complete -c {} -n {} -f -a {} -d {}\n", root.name, FishQuote(not_yet), sub.name,
                            FishQuote(sub.description));
    }
  }
  return script;
}

}  // namespace evlog
