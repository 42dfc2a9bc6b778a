// `evlog groups LOG`: lists consumer groups with their positions and lag; with -g, resets
// (--reset-to, a dry run unless --execute; a new group only with --create) or deletes
// (--delete) one group.
#pragma once

#include <optional>
#include <string>

#include "args/group_options.h"

namespace CLI {
class App;
}

namespace evlog {

struct GroupsCommandOptions {
  std::string log_dir;
  std::optional<std::string> group;
  bool json = false;
  std::optional<ResetTarget> reset_to;
  bool execute = false;
  bool create = false;  // --create: --reset-to may create a group that does not exist
  bool remove = false;  // --delete
};

CLI::App* RegisterGroupsCommand(CLI::App& parent, GroupsCommandOptions& options);

// Returns the exit status (exit_codes.h).
int RunGroupsCommand(const GroupsCommandOptions& options);

}  // namespace evlog
