#include "commands/parallel_print.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace evlog {
namespace {

// Spans of about this much segment data: enough that a span's seek (a listing, the
// segment's index, HEAD) is lost in its reading, few enough that the readers finish
// together (the last span is read by one reader while the others have none left).
constexpr uint64_t kSpanBytes = 4 << 20;
// Output blocks, and how many of them a span may have waiting before its reader waits too.
// With a reader taking a span only while fewer than `threads` spans from the one being
// written on are taken, this bounds memory: at most threads * (kMaxWaitingBlocks + 1)
// blocks and the one being written, however slow the output and however far the readers
// could run ahead.
constexpr size_t kBlockBytes = 1 << 20;
constexpr size_t kMaxWaitingBlocks = 4;
constexpr int kMaxDefaultThreads = 4;
// How often the writing thread polls (ParallelHooks::poll) while it waits, and how many
// events a reader reads between looks at whether to stop.
constexpr std::chrono::milliseconds kPollEvery{100};
constexpr uint64_t kEventsBetweenStopChecks = 1024;
constexpr int kMaxThreads = 64;

struct Block {
  std::unique_ptr<char[]> bytes;
  size_t size = 0;
};

// A reader jumped from `expected` to `offset`, leaving its segment (ParallelHooks::jumped).
struct Jump {
  uint64_t expected = 0;
  uint64_t offset = 0;
};

struct Span {
  uint64_t from = 0;
  uint64_t to = 0;
  // Filled by its reader, under the mutex.
  std::deque<Block> blocks;
  std::vector<Jump> jumps;
  bool done = false;
  bool until_passed = false;
  eventlog::Status status;
  uint64_t undecided = 0;
  uint64_t first_undecided_offset = 0;
};

class ParallelPrint {
 public:
  ParallelPrint(const eventlog::Log& log, const ParallelRange& range, const std::vector<uint64_t>& cuts,
                const EventPrinter& printer, const EventFilterOptions& filter, const ParallelHooks& hooks)
      : log_(log), until_ns_(range.until_ns), printer_(printer), filter_(filter), hooks_(hooks) {
    uint64_t from = range.from;
    for (uint64_t cut : cuts) {
      spans_.push_back(Span{.from = from, .to = cut});
      from = cut;
    }
    spans_.push_back(Span{.from = from, .to = range.to});
  }

  // Nullopt, having printed nothing, if no thread could be started.
  std::optional<ParallelOutcome> Run(int threads, EventFilter* undecided, OutputBuffer& out);

 private:
  // Hands a reader's full blocks to the span it is reading, waiting while that span has
  // enough of them.
  class SpanSink final : public BlockSink {
   public:
    explicit SpanSink(ParallelPrint* print) : print_(print) {}
    void set_span(size_t span) { span_ = span; }
    bool Take(std::unique_ptr<char[]>* block, size_t size) override { return print_->Take(span_, block, size); }

   private:
    ParallelPrint* print_;
    size_t span_ = 0;
  };

  // What one thread reads with, kept from span to span: allocated afresh for each, the
  // buffers cost page faults (a tenth of the time).
  struct ReaderState {
    explicit ReaderState(ParallelPrint* print) : sink(print), out(&sink, kBlockBytes) {}
    std::unique_ptr<eventlog::Reader> reader;
    std::optional<EventFilter> filter;  // compiled once per thread: a regex's JIT code is costly
    SpanSink sink;
    OutputBuffer out;
  };

  void ReadSpans();
  void ReadSpan(size_t index, ReaderState& state);
  bool Take(size_t index, std::unique_ptr<char[]>* block, size_t size);
  void Stop();

  const eventlog::Log& log_;
  const std::optional<int64_t> until_ns_;
  const EventPrinter& printer_;
  const EventFilterOptions& filter_;
  const ParallelHooks& hooks_;

  std::mutex mutex_;
  std::condition_variable span_changed_;  // a block or the end of a span: for the writer
  std::condition_variable room_;          // a block was written, or stop: for the readers
  std::deque<Span> spans_;  // a deque: Span is not copyable, and never moves
  size_t next_span_ = 0;  // the next span a reader takes
  std::atomic<bool> stopping_{false};  // set under mutex_; readers also look without it
  size_t writing_ = 0;     // the span whose blocks are being written
  size_t ahead_ = 1;       // spans a reader may take from writing_ on: the readers' number
  std::vector<std::unique_ptr<char[]>> spare_blocks_;
};

bool ParallelPrint::Take(size_t index, std::unique_ptr<char[]>* block, size_t size) {
  std::unique_lock<std::mutex> lock(mutex_);
  Span& span = spans_[index];
  room_.wait(lock, [&] { return stopping_ || span.blocks.size() < kMaxWaitingBlocks; });
  if (stopping_) return false;
  span.blocks.push_back(Block{std::move(*block), size});
  if (!spare_blocks_.empty()) {
    *block = std::move(spare_blocks_.back());
    spare_blocks_.pop_back();
  }
  lock.unlock();
  span_changed_.notify_one();
  if (!*block) block->reset(new char[kBlockBytes]);
  return true;
}

void ParallelPrint::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  room_.notify_all();
}

void ParallelPrint::ReadSpans() {
  ReaderState state(this);
  while (true) {
    size_t index;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      room_.wait(lock, [&] { return stopping_ || next_span_ == spans_.size() || next_span_ < writing_ + ahead_; });
      if (stopping_ || next_span_ == spans_.size()) return;
      index = next_span_++;
    }
    ReadSpan(index, state);
  }
}

// tail's printing loop (PrintEvents) over one span, into blocks; what it learns goes into
// the span when it ends.
void ParallelPrint::ReadSpan(size_t index, ReaderState& state) {
  const uint64_t from = spans_[index].from;  // set before the threads started, never changed
  const uint64_t to = spans_[index].to;
  eventlog::Status status;
  bool until_passed = false;
  std::vector<Jump> jumps;
  state.sink.set_span(index);
  OutputBuffer& out = state.out;
  // Validated on the command line, so it compiles.
  if (!filter_.empty() && !state.filter) state.filter = std::move(EventFilter::Compile(filter_)).value();
  std::optional<EventFilter>& filter = state.filter;
  if (filter) filter->ResetUndecided();  // counted per span
  if (!state.reader) {
    auto reader = log_.NewReader();
    if (reader) {
      state.reader = std::move(*reader);
    } else {
      status = reader.error();
    }
  }
  if (status.ok()) status = state.reader->SeekToOffset(from);
  if (status.ok()) {
    eventlog::Reader& r = *state.reader;
    eventlog::Event event;
    // No segment yet: a reader that starts after removed events has jumped, as one that
    // crosses into a later segment has.
    uint64_t segment = UINT64_MAX;
    uint64_t expected = from;
    for (uint64_t read = 1; !out.failed(); ++read) {
      if (read % kEventsBetweenStopChecks == 0 && stopping_.load(std::memory_order_relaxed)) break;
      auto more = r.Next(&event);
      if (!more) {
        status = more.error();
        break;
      }
      if (!*more) break;
      // A jump past the span's end is reported only up to it: the next span's reader
      // reports the rest, having perhaps read events removed since.
      if (event.offset > expected && r.segment_base() != segment) {
        jumps.push_back({expected, std::min(event.offset, to)});
      }
      expected = event.offset + 1;
      segment = r.segment_base();
      if (event.offset >= to) break;  // the next span's; its reader checks the link into it
      if (until_ns_ && event.timestamp_ns > *until_ns_) {
        until_passed = true;
        break;
      }
      if (filter && !filter->Matches(event)) continue;
      printer_.Print(event, out);
    }
  }
  out.Flush();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Span& span = spans_[index];
    span.done = true;
    span.status = status;
    span.until_passed = until_passed;
    span.jumps = std::move(jumps);
    if (filter) {
      span.undecided = filter->undecided();
      span.first_undecided_offset = filter->first_undecided_offset();
    }
  }
  span_changed_.notify_one();
}

std::optional<ParallelOutcome> ParallelPrint::Run(int threads, EventFilter* undecided, OutputBuffer& out) {
  std::vector<std::thread> readers;
  ahead_ = static_cast<size_t>(threads);  // before any reader starts
  for (int i = 0; i < std::min<int>(threads, static_cast<int>(spans_.size())); ++i) {
    try {
      readers.emplace_back([this] { ReadSpans(); });
    } catch (const std::system_error&) {  // out of threads: fewer readers will do
      break;
    }
  }
  if (readers.empty()) return std::nullopt;
  ParallelOutcome outcome;
  uint64_t reported_through = 0;  // jumps up to this offset were reported
  for (size_t index = 0; index < spans_.size() && !outcome.ended; ++index) {
    Span& span = spans_[index];
    std::unique_lock<std::mutex> lock(mutex_);
    writing_ = index;
    room_.notify_all();  // a reader may take one more span
    while (outcome.status.ok() && !out.failed()) {
      if (!span_changed_.wait_for(lock, kPollEvery, [&] { return span.done || !span.blocks.empty(); })) {
        lock.unlock();
        if (hooks_.poll) outcome.status = hooks_.poll(span.from);
        lock.lock();
        continue;
      }
      if (span.blocks.empty()) break;  // and done
      Block block = std::move(span.blocks.front());
      span.blocks.pop_front();
      lock.unlock();
      room_.notify_all();
      if (hooks_.poll) outcome.status = hooks_.poll(span.from);
      if (outcome.status.ok()) out.WriteThrough(std::string_view(block.bytes.get(), block.size));
      lock.lock();
      spare_blocks_.push_back(std::move(block.bytes));
    }
    lock.unlock();
    if (!outcome.status.ok() || out.failed()) {  // stopped early: the span's reader may still run
      outcome.ended = true;
      break;
    }
    // The span is done: its reader wrote these last, and touches them no more.
    for (const Jump& jump : span.jumps) {
      if (jump.offset <= reported_through) continue;  // an earlier span's reader reported it
      if (hooks_.jumped) hooks_.jumped(std::max(jump.expected, reported_through), jump.offset);
      reported_through = jump.offset;
    }
    if (undecided != nullptr) undecided->AddUndecided(span.undecided, span.first_undecided_offset);
    outcome.status = span.status;
    outcome.ended = !span.status.ok() || span.until_passed || out.failed();
  }
  Stop();
  for (std::thread& reader : readers) reader.join();
  return outcome;
}

}  // namespace

int ReadThreads() {
  if (const char* value = std::getenv("EVLOG_READ_THREADS")) {
    char* end = nullptr;
    const long threads = std::strtol(value, &end, 10);
    if (end != value && *end == '\0' && threads >= 1 && threads <= kMaxThreads) return static_cast<int>(threads);
  }
  const unsigned cpus = std::thread::hardware_concurrency();
  return std::clamp<int>(static_cast<int>(cpus), 1, kMaxDefaultThreads);
}

std::optional<ParallelOutcome> PrintInParallel(const eventlog::Log& log, const ParallelRange& range,
                                               const EventPrinter& printer, const EventFilterOptions& filter,
                                               EventFilter* undecided, int threads, const ParallelHooks& hooks,
                                               OutputBuffer& out) {
  if (threads < 2) return std::nullopt;
  auto cuts = log.ReadSplits(range.from, range.to, kSpanBytes);
  // Splitting is only a way to go faster: where it fails, one reader reports what is wrong.
  if (!cuts || cuts->empty()) return std::nullopt;
  ParallelPrint print(log, range, *cuts, printer, filter, hooks);
  return print.Run(threads, undecided, out);
}

}  // namespace evlog
