// The history checker of the torture suite: what producers tried, what consumers saw, and
// whether the log that is left agrees with both (issue 9, "The harness").
//
// Producers record every attempted append with its outcome; consumers record what they read
// and the group positions they acked or observed. After the run, Check() compares the history
// with the final contents of the log and reports each violated invariant:
//   lost            an acknowledged event is missing, or is not at its acknowledged offset
//   altered         an event's payload does not decode, or decodes to no attempted append
//   offsets         offsets are not unique and contiguous
//   partial_batch   only part of a batch is in the log, or its events are not in order
//   duplicate       an event is in the log more than once
//   failed_present  an append reported as definitely failed is in the log
//   realtime_order  an append acknowledged before another started has the higher offset
//   producer_order  a producer's batches are not in the order it appended them
//   seen_vanished   a consumer saw an event that is not in the final log, unchanged
//   group_backwards a group position moved backwards
//   group_lost      an acknowledged group position did not survive
//   history         the history itself is inconsistent (two records of one append)
// An acknowledgement without fdatasync (sync=false) promises nothing across a power loss
// (format-spec §6.6): such a batch may vanish whole, and so may what readers saw of it, unless
// a synced append acknowledged after it, before the next power loss, is in the log (that
// fdatasync made it durable too).
// Events below a compaction bound (a "compact" record) may have been removed.
//
// Payloads identify their batch. EncodePayload() writes
//     p<producer>s<seq>i<index>n<count>:<filler>
// with decimal numbers, where filler byte k (k = 0, 1, ...) is the letter
//     'a' + (7 * producer + 13 * seq + 31 * index + k) mod 26
// so that any altered byte is noticed. `history_check payload` prints one for shell drivers.
//
// Histories as JSON lines, one object per line (history_check reads these; blank lines and
// lines starting with '#' are ignored). Clocks ("start", "end", "at") are one logical clock
// shared by every recorder of a run, read before a call is made and after its answer:
//   {"t":"append","producer":P,"seq":S,"events":N,"sync":true,"outcome":"ack","first":F,
//    "start":C1,"end":C2}
//       outcome is "ack" (then "first" is the acknowledged first offset), "fail" (definitely
//       not appended) or "unknown" (killed, or an error that leaves the outcome open; "end"
//       may then be omitted). "sync" defaults to true.
//   {"t":"seen","consumer":C,"offset":O,"payload":"...","epoch":E,"at":C}
//       a consumer read this event; "epoch" (optional) counts the power losses before it.
//       A payload that is not printable ASCII is base64, with "payload_encoding":"base64".
//   {"t":"group_ack","group":"g","position":P,"outcome":"ack","start":C1,"end":C2}
//       an ack that, if acknowledged, moved group g to position P (the next offset to
//       process, i.e. the acked offset + 1).
//   {"t":"group_read","group":"g","position":P,"start":C1,"end":C2}
//       the position a consumer read for group g.
//   {"t":"final_group","group":"g","position":P}   the group's position after the run.
//   {"t":"compact","below":N}   a compaction may have removed events at offsets below N.
//   {"t":"power_loss","at":C}   the machine lost power (a process kill is not one).
// The final log is read as the lines of `evlog tail --json --from beginning`: objects with
// "offset" and "payload" (and "payload_encoding":"base64" for a payload that is not UTF-8);
// other fields are ignored. Final group positions may also come as the lines of
// `evlog groups --json LOG` (objects with "group" and "position").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventlog::torture {

struct PayloadId {
  uint64_t producer = 0;
  uint64_t seq = 0;
  uint32_t index = 0;  // position of the event in its batch
  uint32_t count = 0;  // events in the batch
  bool operator==(const PayloadId&) const = default;
};

// A payload of `size` bytes (or just the prefix, if that is longer) naming `id`.
std::string EncodePayload(const PayloadId& id, size_t size);
// The id a payload names; nullopt if it is not an encoded payload or any byte was altered.
std::optional<PayloadId> DecodePayload(std::string_view payload);

enum class Outcome { kAck, kFail, kUnknown };

struct AppendRecord {
  uint64_t producer = 0;
  uint64_t seq = 0;
  uint32_t events = 0;
  bool sync = true;
  Outcome outcome = Outcome::kUnknown;
  uint64_t first = 0;  // the acknowledged first offset
  uint64_t start = 0;
  uint64_t end = UINT64_MAX;  // UINT64_MAX: no answer
};

struct SeenRecord {
  uint64_t consumer = 0;
  uint64_t offset = 0;
  std::string payload;
  uint64_t epoch = 0;
  uint64_t at = 0;
};

struct GroupAckRecord {
  std::string group;
  uint64_t position = 0;
  Outcome outcome = Outcome::kUnknown;
  uint64_t start = 0;
  uint64_t end = UINT64_MAX;
};

struct GroupReadRecord {
  std::string group;
  uint64_t position = 0;
  uint64_t start = 0;
  uint64_t end = 0;
};

// What happened in a run. Recorders call Tick() before a call and after its answer.
struct History {
  std::vector<AppendRecord> appends;
  std::vector<SeenRecord> seen;
  std::vector<GroupAckRecord> group_acks;
  std::vector<GroupReadRecord> group_reads;
  std::map<std::string, uint64_t> final_groups;
  uint64_t compacted_below = 0;       // the highest compaction bound
  std::vector<uint64_t> power_losses;  // the clock at each, ascending
  uint64_t clock = 0;

  uint64_t Tick() { return ++clock; }
};

struct LogEvent {
  uint64_t offset = 0;
  std::string payload;
  bool operator==(const LogEvent&) const = default;
};

struct Violation {
  std::string invariant;  // one of the names listed at the top of this file
  std::string detail;     // enough to find the events and records involved
};

// `log` is every event of the final log in offset order, as a reader returns them.
std::vector<Violation> Check(const History& history, const std::vector<LogEvent>& log);

// JSON lines (see the top of this file). Each returns an error message, empty on success.
std::string ParseHistoryLine(std::string_view line, History* history);
std::string ParseLogLine(std::string_view line, std::vector<LogEvent>* log);
std::string ParseGroupLine(std::string_view line, History* history);  // into final_groups
// The history as JSON lines, and the log in the shape of `tail --json`, for replaying a
// failed in-process run through history_check.
std::string HistoryToJsonLines(const History& history);
std::string LogToJsonLines(const std::vector<LogEvent>& log);

}  // namespace eventlog::torture
