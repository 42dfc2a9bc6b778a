// The append loop: records from the input go into a Batch, and the batch is committed with
// Log::Append at the moments that keep both promises of `evlog append`:
//   - durability: exit status 0 means every event read was appended (and synced, unless
//     --sync none), and -p prints an offset only after its Append returned OK;
//   - latency: a producer that pauses has its events committed at once, not at EOF.
// In atomic mode (--atomic, --expect-next) the whole input is one batch, committed at EOF:
// built in a Batch (spilled to a temporary file past 8 MiB) when the input comes from a
// pipe, or written to the log as it is read (Log::BeginAtomicAppend, holding the log's
// lock) when it is a large file (8 MiB, or a quarter of a segment if less), so that the
// device works while the rest is read.
// In streaming mode with --sync batch or none, batches are committed on a second thread
// (CommitPipeline) while the next one is read, and JSON envelopes (--json) are decoded a
// chunk at a time on a third (DecodeHelper) and this one in turn; --sync always commits
// each event before it reads the next, as it promises.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codec/event_builder.h"
#include "commands/commit_pipeline.h"
#include "commands/decode_helper.h"
#include "eventlog/log.h"
#include "codec/input_framing.h"
#include "codec/output_buffer.h"

namespace evlog {

enum class SyncMode { kAlways, kBatch, kNone };

struct AppendPlan {
  bool atomic = false;
  // Atomic, and the input is a file large enough to be worth a segment of its own: written
  // to the log as it is read (Log::BeginAtomicAppend). Never for a pipe, whose producer
  // could keep every other appender waiting for the lock.
  bool atomic_stream = false;
  std::optional<uint64_t> expect_next;
  SyncMode sync = SyncMode::kBatch;
  bool print_offsets = false;
  bool json = false;
  uint64_t commit_bytes = 0;     // streaming: commit once the batch is this large
  uint64_t max_event_bytes = 0;  // the log's limit, for error messages
};

class AppendSession {
 public:
  AppendSession(eventlog::Log& log, const AppendPlan& plan, RecordSplitter& input,
                EventBuilder& builder, OutputBuffer& offsets_out);
  // Its pipeline's thread holds `this`: never copied or moved.
  AppendSession(const AppendSession&) = delete;
  AppendSession& operator=(const AppendSession&) = delete;

  // Reads and appends all input. An error's message names the input record at fault
  // ("input record 7: ..."); its code gives the exit status.
  eventlog::Status Run();

  // What the error `failure` left behind, e.g. "6 events appended before the error
  // (offsets 0..5)", and whether the commit that failed may have landed.
  std::string DescribeProgress(const eventlog::Status& failure) const;

 private:
  std::string DescribeAppended() const;
  eventlog::Status ReadAndAppend();
  eventlog::Status ReadAndAppendInChunks();
  eventlog::Status DecodeChunk();
  eventlog::Status CommitChunks();
  eventlog::Status AddRecord(const InputRecord& record);
  eventlog::Status AddEvent(const eventlog::EventInput& event);
  // Commits batch_: hands it to the pipeline, or appends it here.
  eventlog::Status Commit();
  // Waits for the pipeline's batch in flight; its error, or that of an earlier one.
  eventlog::Status Drain();
  // Appends batch and empties it (on the pipeline's thread, when there is one).
  eventlog::Status CommitBatch(eventlog::Batch& batch);
  // Atomic stream mode: starts it (takes the log's lock), and commits it.
  eventlog::Status BeginStream();
  eventlog::Status CommitStream();
  // Books a commit's offsets (and prints them with -p).
  eventlog::Status Appended(const eventlog::AppendResult& appended);
  // Names the input record at fault; marks the failure as the input's, not the log's.
  eventlog::Status RecordError(uint64_t number, const eventlog::Status& cause);
  eventlog::Status PrintOffsets(const eventlog::AppendResult& appended);

  eventlog::Log& log_;
  AppendPlan plan_;
  RecordSplitter& input_;
  EventBuilder& builder_;
  OutputBuffer& offsets_out_;
  eventlog::Batch batch_;
  std::unique_ptr<eventlog::AtomicAppend> stream_;  // atomic stream mode, until committed
  uint64_t record_number_ = 0;  // 1-based number of the record being handled
  bool record_failed_ = false;
  uint64_t appended_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> appended_ranges_;  // inclusive, merged
  // --json in streaming mode: chunks of records decoded on a second thread (decode_helper.h).
  RecordChunk chunk_;  // being filled
  std::unique_ptr<DecodeHelper> helper_;
  // Declared last: destroyed first, so it finishes its commit while the rest still exists.
  // appended_ and appended_ranges_ are written on its thread; read them only once drained.
  std::unique_ptr<CommitPipeline> pipeline_;
};

}  // namespace evlog
