// `evlog capture postgres CONNINFO LOG --slot NAME`: a logical replication slot's committed
// transactions into a log (format-spec/change-events.md §C7), and the slot's upkeep.
#pragma once

#include <string>
#include <vector>

namespace evlog::pg {

struct CapturePostgresOptions {
  std::string conninfo;
  std::string log_dir;
  std::string slot;
  std::string publication;  // empty: named after the slot
  std::vector<std::string> tables;
  bool create_slot = false;
  bool drop_slot = false;
  bool follow = false;
  bool snapshot = false;  // with --create-slot on a new slot: its rows first, as `r` events
};

// Returns the exit status (term/exit_codes.h).
int RunCapturePostgres(const CapturePostgresOptions& options);

}  // namespace evlog::pg
