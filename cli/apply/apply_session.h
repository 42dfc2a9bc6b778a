// The loop of `apply`: read change events from the target's position, apply each run of up
// to kMaxRunEvents in one transaction of the target that also moves the position (§C6), then
// copy the position to the log's consumer group so that `evlog groups` shows the lag.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "apply/apply_target.h"
#include "codec/change_event.h"
#include "eventlog/consumer_groups.h"
#include "eventlog/reader.h"
#include "replay/signal_pipe.h"
#include "term/progress.h"

namespace evlog {

// Events per transaction at most (§C6): enough to amortise the commit's syncs, few enough
// that a run holds the target's write lock briefly.
inline constexpr uint64_t kMaxRunEvents = 10'000;

// The exit status of `apply` for a failure: 1 (4 for corruption), reported, or 128 + N after
// termination signal N. Such a signal ends a wait for the target's lock by failing the
// statement that waited (SqliteTarget::Open, PostgresTarget's queries): that failure is the signal's doing, so
// `apply` ends as a signal ends it, its run rolled back, with nothing to report.
int ApplyFailureExit(const eventlog::Status& status, const SignalPipe& signals);

struct ApplySessionParts {
  eventlog::Reader& reader;  // positioned at the target's position
  ApplyTarget& target;
  eventlog::ConsumerGroups& groups;
  const SignalPipe& signals;
};

struct ApplySettings {
  std::string group;
  std::string log_id;  // of the log being read
  bool follow = false;
  uint64_t run_events = kMaxRunEvents;  // events per transaction at most
};

class ApplySession {
 public:
  // `position` is the group's row in the target as read at the start (nullopt: none yet);
  // `start` is where the reader stands.
  ApplySession(ApplySessionParts parts, ApplySettings settings, std::optional<ApplyPosition> position,
               uint64_t start);

  // Applies up to the log's end (with follow: until SIGINT or SIGTERM), prints a summary
  // and returns the exit status: 0, 1 or 4 after an error, 128 + N after signal N.
  int Run();

 private:
  // The first event of the next run, waiting for one with follow; false when there is none
  // to apply (the end without follow, or a termination signal).
  eventlog::Result<bool> NextRunStart(eventlog::Event* event);
  eventlog::Status BeginRun();
  // Applies `event` and whatever follows it, up to run_events, as one transaction.
  eventlog::Status ApplyRun(eventlog::Event& event);
  eventlog::Status ApplyEvent(const eventlog::Event& event);
  // Applies the held delete of a key change (§C6), if there is one, and forgets it.
  eventlog::Status ApplyHeldRemoval();
  eventlog::Status CommitRun(uint64_t next_offset);
  int Finish(int status);

  ApplySessionParts parts_;
  ApplySettings settings_;
  std::optional<ApplyPosition> position_;  // the target's row as this process last saw it
  // The delete half of a key change (§C4), held until the next event shows whether the
  // update it announces follows (new_key: that update's event key).
  struct HeldRemoval {
    ChangeEvent change;
    std::string new_key;
    uint64_t offset;
  };
  std::optional<HeldRemoval> held_removal_;
  uint64_t next_offset_;
  uint64_t applied_ = 0;
  uint64_t transactions_ = 0;
  Progress progress_{"apply", "events", 0};  // on a terminal only
  std::chrono::steady_clock::time_point started_;
};

}  // namespace evlog
