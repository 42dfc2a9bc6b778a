// Printing a long range of a log with several readers at once, for `tail` and `export`.
// Log::ReadSplits cuts the range into spans; worker threads take the spans in order, each
// reading its span with a Reader of its own and printing it into blocks, and the calling
// thread writes the blocks out in log order. Reading (pread, checksums, decoding) and
// printing then use every core, where one reader kept one busy.
//
// What is printed, and where an error stops it, is what one reader going through the
// range prints: a span's blocks are written only after every earlier span's, an error ends
// the output after the events of its span that came before it, and the readers together
// verify every frame one reader would (Log::ReadSplits says why).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "codec/event_filter.h"
#include "codec/event_printer.h"
#include "codec/output_buffer.h"
#include "eventlog/log.h"
#include "eventlog/status.h"

namespace evlog {

// How many readers a long range gets: EVLOG_READ_THREADS if it is set to a number from 1
// to 64 (1 reads with one reader, as short ranges always are), else one per CPU, at most 4.
int ReadThreads();

struct ParallelRange {
  uint64_t from = 0;  // the first offset to print
  uint64_t to = 0;    // the first offset not to print
  std::optional<int64_t> until_ns;  // stop at the first event after this time
};

// What the calling thread is told while it writes; either may be empty.
struct ParallelHooks {
  // A reader jumped from `expected` to `offset` where it entered another segment: events
  // may have been removed (retention) under it. Called in log order, once per jump (a
  // jump several readers met is reported by the first).
  std::function<void(uint64_t expected, uint64_t offset)> jumped;
  // Called before each block is written and at least every 100 ms while the calling
  // thread waits for one (a filter may pass nothing for long), with the first offset of
  // the span being written: a status that is not OK stops printing, and becomes the
  // outcome's (Ctrl-C, say).
  std::function<eventlog::Status(uint64_t span_from)> poll;
};

struct ParallelOutcome {
  eventlog::Status status;  // the first error in log order; events before it were printed
  // Printing is over: an error, --until passed, or the output failed (out says which).
  // Otherwise every event of the range was printed, and printing goes on at range.to.
  bool ended = false;
};

// Prints the events of `range` that pass `filter` (compiled anew for each reader: a
// regex's match data is not shared between threads) with `threads` readers. Nothing, and
// nullopt, when the range is too short to be split or no thread can be had: the caller
// reads it with one reader. Events a --grep gave up on are added to *undecided, as if it
// had tested them.
std::optional<ParallelOutcome> PrintInParallel(const eventlog::Log& log, const ParallelRange& range,
                                               const EventPrinter& printer, const EventFilterOptions& filter,
                                               EventFilter* undecided, int threads, const ParallelHooks& hooks,
                                               OutputBuffer& out);

}  // namespace evlog
