// `evlog ack LOG -g GROUP [OFFSET]`: marks events as processed by a consumer group. Without
// OFFSET, offsets are read from stdin, one per line, and each is committed as it arrives:
//
//   evlog tail LOG -g billing --format '%o\n' | evlog ack LOG -g billing
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace evlog {

struct AckCommandOptions {
  std::string log_dir;
  std::string group;
  std::optional<uint64_t> offset;  // nullopt: read offsets from stdin
};

CLI::App* RegisterAckCommand(CLI::App& parent, AckCommandOptions& options);

// Returns the exit status (exit_codes.h).
int RunAckCommand(const AckCommandOptions& options);

}  // namespace evlog
