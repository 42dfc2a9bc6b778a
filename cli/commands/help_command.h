// `evlog help [SUBCOMMAND...]` and what evlog says about a command line it cannot parse:
// the error, a "did you mean" for a misspelt subcommand or option, and where help is.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace evlog {

// Lists `help` among the subcommands; its work is done by RewriteHelpRequest.
void RegisterHelpCommand(CLI::App& root);

// `evlog [-q] help capture postgres` becomes `evlog [-q] capture postgres --help`, so that
// `help X` prints exactly what `X --help` prints; `evlog help` alone becomes `evlog --help`.
// A word that names no subcommand of `root` is left without --help, so that parsing reports
// it as an unknown subcommand. Any other command line is returned unchanged. args[0] is the
// program name.
std::vector<std::string> RewriteHelpRequest(CLI::App& root, std::vector<std::string> args);

// Prints the parse error (help and --version go to stdout) and returns the exit status:
// 0 for help, 2 (usage) for anything else. `args` is the command line as parsed.
int HandleParseError(CLI::App& root, const CLI::ParseError& error, const std::vector<std::string>& args);

}  // namespace evlog
