#include "commands/connector_handoff.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "term/exit_codes.h"
#include "term/report.h"

#ifndef EVLOG_CONNECTORS_DIR
#define EVLOG_CONNECTORS_DIR "../libexec/evlog"
#endif

namespace evlog {

namespace {
constexpr char kConnectorsProgram[] = "evlog-connectors";
}  // namespace

int HandOffToConnectors(const char* subcommand, char** argv) {
  // The running program's own file, not argv[0], which a shell's PATH search or a symlink
  // may make anything.
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    PrintError(subcommand, fmt::format("cannot find where evlog is installed (/proc/self/exe: {}), so not where "
                                       "{} is either; is /proc mounted?",
                                       error.message(), kConnectorsProgram));
    return kExitError;
  }
  const std::filesystem::path dir = self.parent_path();
  const std::vector<std::filesystem::path> candidates = {dir / kConnectorsProgram,
                                                         (dir / EVLOG_CONNECTORS_DIR / kConnectorsProgram).lexically_normal()};
  std::string tried;
  for (const std::filesystem::path& candidate : candidates) {
    execv(candidate.c_str(), argv);
    // ENOENT: try the next place; anything else (not executable, a broken file) is worth
    // reporting as it is, since a user who installed it there meant it to run.
    const int failure = errno;
    if (failure != ENOENT) {
      PrintError(subcommand, fmt::format("cannot run {}: {}", candidate.string(), std::strerror(failure)));
      return kExitError;
    }
    tried += tried.empty() ? candidate.string() : " or " + candidate.string();
  }
  PrintError(subcommand, fmt::format("this subcommand is in {}, which is not installed: looked for {}; reinstall "
                                     "evlog (the package, or `cmake --install`) to restore it",
                                     kConnectorsProgram, tried));
  return kExitError;
}

}  // namespace evlog
