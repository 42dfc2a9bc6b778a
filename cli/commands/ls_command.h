// `evlog ls [DIR]`: the logs under DIR, one line each with its events, size, last event time
// and consumer groups. Read-only: it opens each log as a reader (format-spec §8.6), so it
// writes nothing and works on logs its user can only read.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace evlog {

struct LsCommandOptions {
  std::string dir = ".";
  // How many directory levels below DIR are searched: 0 looks at DIR alone, 1 at its
  // entries, 2 (the default) at theirs too. A log's own directory is never searched.
  uint64_t depth = 2;
  bool json = false;
};

CLI::App* RegisterLsCommand(CLI::App& parent, LsCommandOptions& options);

int RunLsCommand(const LsCommandOptions& options);

}  // namespace evlog
