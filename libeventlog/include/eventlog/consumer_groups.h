// Consumer groups: named, durable positions in a log, kept in an LMDB environment in
// LOG/groups/ (format-spec §11). A group's position is the offset of the next event it has
// not yet processed; groups are created on first use.
//
//   auto groups = eventlog::ConsumerGroups::Open(*log);
//   (*groups)->Ack("billing", 41);          // events 0..41 are processed: position 42
//
// Every method runs one short LMDB transaction and returns; none is held while a caller
// waits for events. Writes are durable when they return (LMDB's default sync).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/log.h"
#include "eventlog/status.h"

namespace eventlog {

struct GroupInfo {
  std::string name;
  uint64_t position = 0;   // next offset to process
  int64_t updated_ns = 0;  // when the position last changed (0: never committed)
};

// How many offsets the group has still to process: from its position, or from the log's
// first offset if compaction with --ignore-groups removed the events in between (they can
// no longer be processed), to the log's next offset. A position is never past the log's
// next offset when written, but the two are read separately: never a negative lag.
inline uint64_t GroupLag(const GroupInfo& group, const LogInfo& log) {
  const uint64_t from = std::max(group.position, log.first_offset);
  return log.next_offset > from ? log.next_offset - from : 0;
}

// What ConsumerGroups::Join() found and did.
struct GroupJoin {
  GroupInfo group;  // the position to read from, as now stored
  bool created = false;  // the group had no key: it now has one, at the log's first offset
  // The stored position lay past the log's end, at this offset, and was moved back to it.
  std::optional<uint64_t> was_past_end;
};

class ConsumerGroups {
 public:
  // Opens (creating if missing) the group store of `log`. A new store appears complete or not
  // at all, whatever crashes (format-spec §11); an empty groups/data.mdb is therefore damage,
  // kCorruption naming it, never a store to initialise. Clears reader slots left by
  // processes that died inside a read transaction (mdb_reader_check), and settles positions
  // left pending by an AppendWithPositions() that did not finish.
  static Result<std::unique_ptr<ConsumerGroups>> Open(const Log& log);
  ~ConsumerGroups();

  // The group's committed position; a group never committed to is at the log's first offset.
  Result<GroupInfo> Get(std::string_view group);

  // The group's position for a consumer about to read from it (replay, bridge), stored
  // durably first where it was not:
  // - A group with no key is created at the log's first offset. Compaction and retention
  //   keep the events of the groups the store holds; a consumer whose first event takes
  //   long, or fails, would otherwise see them removed before its first ack.
  // - A position past the log's end is moved back to the end. It means the log lost events
  //   the group had acked (a log restored from a backup older than its groups, events
  //   appended with --sync none lost to a power cut): left there, the events appended at
  //   those offsets from now on would never be delivered to the group.
  // Storing takes the log's lock (LOG/LOCK), which compaction holds while it reads the groups
  // and removes segments. Without `create`, a missing group is left missing (tail -g).
  Result<GroupJoin> Join(std::string_view group, bool create = true);

  // Marks every event up to and including `offset` as processed by `group`. Never moves a
  // position backwards: acking at or below the position is a no-op. kInvalidArgument if
  // `offset` is not below the log's next offset (there is no such event yet). A stored
  // position past the log's end counts as the end (Join() says why).
  Result<GroupInfo> Ack(std::string_view group, uint64_t offset);

  // Ack() for a consumer that knows where the group stood: `since` is the position it
  // started from (Join) or last acked to. If the stored position is below `since`, another
  // program moved the group back (a reset, a delete) while the consumer worked: nothing is
  // written, so the reset stands, and the result is kConflict; the consumer should stop, as
  // what it delivers next is no longer what the group asks for. A position moved forward is
  // no conflict: the ack is then a no-op, as Ack() makes it.
  Result<GroupInfo> AckFrom(std::string_view group, uint64_t since, uint64_t offset);

  // Sets the position to `position` (may move backwards: that is its purpose).
  // kInvalidArgument if it is beyond the log's next offset. A group that does not exist is
  // created with `create`, and is kNotFound without it (a mistyped name, nothing changed).
  Result<GroupInfo> Reset(std::string_view group, uint64_t position, bool create = true);

  // Sets each group's position, all in one transaction: every one or none (import).
  // kInvalidArgument, nothing set, for a bad name or a position beyond the next offset.
  Status ResetAll(std::span<const GroupInfo> groups);

  // Appends `batch`, built with Batch::AddAt(), to `log` (the log this store belongs to) and
  // sets each group's position, clamped to the log's next offset, as one unit: whatever
  // crashes, either the batch is in the log and every position is set, or neither (import
  // into an existing empty log). Two stores cannot commit together, so the positions are
  // first recorded as pending, with a digest of the batch; a crash before they are applied
  // leaves the record, which the next Open() settles by asking the log whether it holds the
  // batch (format-spec §11.1). kBusy if another such append is pending; the batch's own
  // errors as Log::Append gives them.
  Result<AppendResult> AppendWithPositions(Log& log, const Batch& batch, std::span<const GroupInfo> groups);

  // Forgets the group. kNotFound if it does not exist.
  Status Delete(std::string_view group);

  // All groups that have a committed position, sorted by name.
  Result<std::vector<GroupInfo>> List();

  // The groups of `log` for commands that must not change it (stat, ls, export, verify,
  // groups, tail -g): an empty list when the log has no groups/data.mdb. Creates and writes
  // nothing, not even LMDB's lock file: the store's files are read directly (format-spec
  // §11.3), so it also works on a log its user may only read, and neither blocks nor
  // disturbs writers.
  static Result<std::vector<GroupInfo>> ListIfPresent(const Log& log);

  // One group's position as Get() gives it, read as ListIfPresent() reads: a group never
  // committed to is at the log's first offset.
  static Result<GroupInfo> GetIfPresent(const Log& log, std::string_view group);

  class Impl;

 private:
  explicit ConsumerGroups(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlog
