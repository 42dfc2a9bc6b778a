// A log on the fault-injecting file system, driven by several simulated processes whose every
// append, read, group ack and compaction is recorded in a History for the checker.
//
// Each "process" is a Log handle of its own (and its own ConsumerGroups), all on one
// FaultFileSystem, used one call at a time so that a seed replays exactly. A process that
// dies (an injected crash, or the failed state) is replaced by a fresh one on its next use;
// a power loss replaces them all. The consumer-group store is LMDB on a real scratch
// directory (LMDB does not go through the FileSystem seam): a power loss of the simulated
// file system leaves it as it is, which is what a durable store's positions do.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "eventlog/consumer_groups.h"
#include "eventlog/log.h"
#include "fault_file_system.h"
#include "history.h"

namespace eventlog::torture {

struct BatchSpec {
  std::vector<size_t> sizes;               // one payload size per event
  uint64_t frame_body_bytes = 256 * 1024;  // where the batch starts a new frame
  bool sync = true;
};

// Every event of `log` from offset `from` on (the oldest stored, if older).
Result<std::vector<LogEvent>> ReadEvents(const Log& log, uint64_t from = 0);

class TortureLog {
 public:
  // Creates the log in a new scratch directory.
  TortureLog(testing::FaultFileSystem& fs, LogLimits limits, int processes);
  ~TortureLog();  // closes every process and removes the scratch directory
  TortureLog(const TortureLog&) = delete;
  TortureLog& operator=(const TortureLog&) = delete;

  History& history() { return history_; }
  const History& history() const { return history_; }
  const std::string& dir() const { return dir_; }
  const std::string& scratch() const { return scratch_; }  // a real directory, removed at the end
  int processes() const { return static_cast<int>(procs_.size()); }

  // One batch from process `p` (producer p + 1), recorded with its outcome. A crash of the
  // file system during the call makes the outcome unknown, as for a killed process.
  Outcome Append(int p, const BatchSpec& spec);
  // Reads from `from` (the oldest event if nullopt) to the end, recording what was seen.
  Status Read(int p, std::optional<uint64_t> from);
  // Reads what an exporter reads, without recording it as seen.
  Status ReadFrom(int p, uint64_t from, std::vector<LogEvent>* out);
  // Acks up to `behind` offsets before the newest one read (a slow consumer's late ack);
  // records the ack and a read-back of the position.
  Status AckGroup(int p, const std::string& group, uint64_t behind = 0);
  Status Compact(int p, uint64_t before_offset);

  // The process died: it is replaced on its next use. The file system is revived first if
  // an injected crash killed it.
  void Kill(int p);
  // Runs `fn` (calls by process p) with a crash armed `after` mutating operations from now:
  // the crash lands inside whatever `fn` does, or nowhere if it does less; on a Write it
  // leaves that write's first `torn_bytes` behind. Returns whether it struck (process p is
  // then dead); the crash is disarmed either way.
  template <typename Fn>
  bool CrashInside(int p, int after, size_t torn_bytes, Fn fn) {
    const uint64_t before = crashes_;
    fs_.CrashAfter(after, torn_bytes);
    fn();
    if (fs_.crashed()) Kill(p);
    fs_.CrashAfter(-1);
    return crashes_ != before;
  }
  // The machine lost power: every process dies; unsynced data goes as the model decides.
  void PowerLoss();
  // Opens process p and runs recovery.
  Status Recover(int p);

  // Whether, at the last power loss, some unsynced append may have been published with no
  // synced one after it: HEAD may then name data the power loss took, which recovery cannot
  // tell from damage and reports as corruption (format-spec §6.6).
  bool unsynced_at_power_loss() const { return unsynced_at_power_loss_; }

  // The final state, read by process 0: every event, the groups, and a full verification
  // (problems other than index ones are returned as violations).
  Result<std::vector<LogEvent>> ReadAll();
  std::vector<Violation> CheckFinal();
  uint64_t events_appended() const { return events_appended_; }
  uint64_t index_problems() const { return index_problems_; }  // verify's, a rebuildable cache
  uint64_t crashes() const { return crashes_; }
  // Groups verify found past the log's end, after a power loss took acknowledged unsynced
  // events they had acked: sync=none's promise allows the loss (format-spec §6.6), and the
  // group store, durable on its own, keeps the position.
  uint64_t groups_past_end() const { return groups_past_end_; }
  // Writes the history and the final log as JSON lines for history_check, and says where.
  void Dump(const std::vector<LogEvent>& events);

 private:
  struct Process {
    std::unique_ptr<ConsumerGroups> groups;  // before log: it refers to it
    std::unique_ptr<Log> log;
    uint64_t seq = 0;
  };
  Result<Log*> Handle(int p);
  Result<ConsumerGroups*> Groups(int p);
  Outcome Classify(const Status& s, int p);

  testing::FaultFileSystem& fs_;
  std::string scratch_;
  std::string dir_;
  std::vector<Process> procs_;
  LogInfo limits_;  // segment_bytes and max_event_bytes, for building batches
  History history_;
  std::set<std::string> groups_used_;
  bool unsynced_published_ = false;
  bool unsynced_at_power_loss_ = false;
  bool unsynced_lost_ever_ = false;  // some power loss came with unsynced_at_power_loss_
  uint64_t newest_read_ = 0;  // one past the newest offset read
  uint64_t events_appended_ = 0;
  uint64_t index_problems_ = 0;
  uint64_t crashes_ = 0;  // processes killed by an injected crash
  uint64_t groups_past_end_ = 0;
};

}  // namespace eventlog::torture
