// Decoding JSON envelopes on a second thread, for `append --json` in streaming mode.
//
// Parsing is what bounds `append --json`: measured on the 2-core machine, one process took
// 0.87-1.08 s for 1M envelopes while two processes, each with half of them, took 0.51-0.59 s.
// So the session cuts its input into chunks of records, and this helper decodes one chunk
// into a batch of its own while the session decodes the next; the two batches are then
// committed in input order (the session's CommitPipeline writes them on a third thread).
//
// Nothing about what append promises changes. A record that fails to decode ends its
// chunk: the records before it are committed and the error names it, whichever thread
// decoded it, and a chunk after it is never committed, so the outcome is exactly the serial
// one ("records 1..N-1 appended", then the error for record N).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codec/event_builder.h"
#include "codec/input_framing.h"
#include "commands/job_thread.h"
#include "eventlog/batch.h"
#include "eventlog/status.h"

namespace evlog {

// Input records, copied out of the splitter's buffer (which the next read reuses), with a
// bound of the size their events encode to, so that a chunk's batch never outgrows what a
// commit should hold (and never a segment, which would refuse a good record).
class RecordChunk {
 public:
  // What an event may take beyond its record's text: its record's varints, and room for
  // rounding. A decoded envelope is never longer than its JSON text (quotes, names and
  // escapes all take room the decoded bytes do not), but the --header values are added.
  static uint64_t ExtraBytesPerEvent(const EventBuilderOptions& options);

  // number: the record's 1-based position in the input; encoded_bound: the record's size
  // plus ExtraBytesPerEvent.
  void Add(const InputRecord& record, uint64_t number, uint64_t encoded_bound);
  void Clear();
  bool empty() const { return records_.empty(); }
  // At least the size of the chunk's events once encoded.
  uint64_t encoded_bound() const { return encoded_bound_; }

 private:
  friend struct ChunkDecoder;
  struct Record {
    size_t at = 0;
    uint64_t size = 0;  // the record's full length, also when too_large
    bool too_large = false;
  };
  std::string bytes_;
  std::vector<Record> records_;
  uint64_t first_number_ = 0;
  uint64_t encoded_bound_ = 0;
};

// The result of decoding a chunk: ok, or the cause and the number of the record at fault.
struct ChunkOutcome {
  eventlog::Status cause;
  uint64_t record_number = 0;
  bool ok() const { return cause.ok(); }
};

// Turns a chunk's records into events added to a batch, as AppendSession does one record at
// a time; stops at the first record that fails.
struct ChunkDecoder {
  EventBuilder& builder;
  bool json = false;
  uint64_t max_event_bytes = 0;
  ChunkOutcome Decode(const RecordChunk& chunk, eventlog::Batch& batch) const;
};

// The refusal of a record longer than the log's maximum event size, and a hint added to
// the batch's own refusal of an event: shared with the serial path (AppendSession).
eventlog::Status RecordTooLarge(bool json, uint64_t size, uint64_t max_event_bytes);
eventlog::Status WithLimitHint(const eventlog::Status& status);

class DecodeHelper {
 public:
  // batch: an empty batch of the log's, which the helper fills.
  DecodeHelper(EventBuilderOptions options, uint64_t max_event_bytes, eventlog::Batch batch);
  ~DecodeHelper() = default;  // thread_ waits for the chunk being decoded
  DecodeHelper(const DecodeHelper&) = delete;
  DecodeHelper& operator=(const DecodeHelper&) = delete;

  // True from Start() until Finish(): a chunk is the helper's.
  bool busy() const { return started_; }
  // Takes *chunk (leaving an empty one in its place) and starts decoding it. Not busy().
  void Start(RecordChunk* chunk);
  // Waits for the chunk started last and says how decoding it ended. busy().
  ChunkOutcome Finish();
  // The events of the chunk finished last, for the session to submit (CommitPipeline::Submit
  // leaves an empty batch in its place, which the helper fills next). Not busy().
  eventlog::Batch& decoded() { return batch_; }

 private:
  EventBuilder builder_;
  ChunkDecoder decoder_;
  RecordChunk chunk_;  // the three below are the thread's while busy()
  eventlog::Batch batch_;
  ChunkOutcome outcome_;
  bool started_ = false;
  JobThread thread_;  // last: started once everything it reads is constructed
};

}  // namespace evlog
