// `evlog append LOG`: appends events read from stdin.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace evlog {

struct AppendCommandOptions {
  std::string log_dir;
  bool null_delimited = false;
  bool raw = false;
  bool json = false;
  std::string key_delimiter;
  std::vector<std::string> headers;  // NAME=VALUE
  bool atomic = false;
  std::optional<uint64_t> expect_next;
  std::string sync = "batch";
  bool print_offsets = false;
  std::optional<uint64_t> segment_bytes;
  std::optional<uint64_t> max_event_bytes;
  std::optional<std::chrono::milliseconds> wait_lock;
};

CLI::App* RegisterAppendCommand(CLI::App& parent, AppendCommandOptions& options);

// Returns the exit status (exit_codes.h).
int RunAppendCommand(const AppendCommandOptions& options);

}  // namespace evlog
