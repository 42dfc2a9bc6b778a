// Concurrent durable producers: N processes append single-event batches to one log at once,
// each Log::Append with sync=true (returns only after fdatasync). Appends from several
// processes serialise on LOG/LOCK, and the writer commits whatever batches are waiting under
// one fdatasync (group commit), so the aggregate rate should grow with N while each
// producer's own rate falls less than N-fold.
//
//   evlog_bench_producers --dir DIR --producers N [--per-producer M (500)] [--payload-bytes B (150)]
//
// DIR must exist; the program creates DIR/evlog-producers-N (fresh) and leaves it. All
// producers are forked first and released together; the time is from their release to the
// last one's exit. Then the log is read back: it must hold N * M events, and each
// producer's events in the order it appended them. Results are key=value lines.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bench_common.h"
#include "eventlog/batch.h"
#include "eventlog/log.h"
#include "eventlog/reader.h"

namespace {

using Clock = std::chrono::steady_clock;

using evlog_bench::Die;
using evlog_bench::ParseCount;


// "P<producer> <sequence> " padded with 'x' to `bytes`: what the read-back checks.
std::string Payload(uint64_t producer, uint64_t sequence, size_t bytes) {
  std::string s = "P" + std::to_string(producer) + " " + std::to_string(sequence) + " ";
  s.resize(std::max(bytes, s.size()), 'x');
  return s;
}

// A child: waits for the release (EOF on `release_fd`), appends, exits 0 or dies.
[[noreturn]] void Produce(const std::string& log_dir, int release_fd, uint64_t producer, uint64_t count,
                          size_t bytes) {
  auto log = eventlog::Log::Open(log_dir, {});
  if (!log) Die("open " + log_dir + ": " + log.error().message());
  eventlog::Batch batch = (*log)->NewBatch();
  char byte;
  while (read(release_fd, &byte, 1) < 0 && errno == EINTR) {
  }
  for (uint64_t i = 0; i < count; ++i) {
    batch.Clear();
    eventlog::Status added = batch.Add({.payload = Payload(producer, i, bytes)});
    if (!added.ok()) Die("batch: " + added.message());
    auto appended = (*log)->Append(batch);
    if (!appended) Die("append: " + appended.error().message());
  }
  std::_Exit(0);
}

void CheckLog(const std::string& log_dir, uint64_t producers, uint64_t per_producer) {
  auto log = eventlog::Log::Open(log_dir, {});
  if (!log) Die("reopen: " + log.error().message());
  auto reader = (*log)->NewReader();
  if (!reader) Die("reader: " + reader.error().message());
  std::vector<uint64_t> next(producers, 0);
  eventlog::Event event;
  uint64_t total = 0;
  for (;;) {
    auto more = (*reader)->Next(&event);
    if (!more) Die("read back: " + more.error().message());
    if (!*more) break;
    unsigned long long producer = 0, sequence = 0;
    if (std::sscanf(std::string(event.payload.substr(0, 48)).c_str(), "P%llu %llu ", &producer, &sequence) != 2 ||
        producer >= producers || sequence != next[producer]) {
      Die("event at offset " + std::to_string(event.offset) + " is out of its producer's order");
    }
    ++next[producer];
    ++total;
  }
  if (total != producers * per_producer) Die("the log holds " + std::to_string(total) + " events");
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  uint64_t producers = 0, per_producer = 500, bytes = 150;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) Die("missing value for " + std::string(arg));
    const char* value = argv[++i];
    if (arg == "--dir") {
      dir = value;
    } else if (arg == "--producers") {
      producers = ParseCount("--producers", value);
    } else if (arg == "--per-producer") {
      per_producer = ParseCount("--per-producer", value);
    } else if (arg == "--payload-bytes") {
      bytes = ParseCount("--payload-bytes", value);
    } else {
      Die("unknown argument " + std::string(arg));
    }
  }
  if (dir.empty() || producers == 0) Die("usage: --dir DIR --producers N [--per-producer M] [--payload-bytes B]");
  if (producers > 256) Die("--producers: at most 256");
  const std::string log_dir = dir + "/evlog-producers-" + std::to_string(producers);
  std::error_code ec;
  std::filesystem::remove_all(log_dir, ec);
  {  // created once, before the producers open it
    auto log = eventlog::Log::Open(log_dir, {.create_if_missing = true});
    if (!log) Die("create " + log_dir + ": " + log.error().message());
  }

  int release[2];
  if (pipe(release) != 0) Die(std::string("pipe: ") + std::strerror(errno));
  std::vector<pid_t> children;
  for (uint64_t p = 0; p < producers; ++p) {
    const pid_t pid = fork();
    if (pid < 0) Die(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      close(release[1]);
      Produce(log_dir, release[0], p, per_producer, bytes);
    }
    children.push_back(pid);
  }
  close(release[0]);
  // Each child has opened the log (or is about to): give the opens a moment so that the
  // timing starts with every producer ready, not with N log opens.
  usleep(200 * 1000);
  const Clock::time_point start = Clock::now();
  close(release[1]);  // EOF: every producer starts
  for (pid_t pid : children) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die("a producer failed");
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  CheckLog(log_dir, producers, per_producer);
  const uint64_t events = producers * per_producer;
  std::printf("producers=%llu\n", static_cast<unsigned long long>(producers));
  std::printf("events=%llu\n", static_cast<unsigned long long>(events));
  std::printf("seconds=%.6f\n", seconds);
  std::printf("events_per_s=%.1f\n", static_cast<double>(events) / seconds);
  return 0;
}
