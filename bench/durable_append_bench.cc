// Durable single-event appends: evlog's Log::Append (sync=true, one ~150-byte event per
// batch, so every call waits for its own fdatasync) against the floor any durable log
// must pay: pwrite of the same bytes at the end of a plain file followed by fdatasync.
//
//   evlog_bench_durable --dir DIR [--count N] [--payload-bytes B] [--warmup W]
//
// DIR must exist; the program creates DIR/evlog-durable (a log) and DIR/bare-durable.dat
// (a plain file), both fresh, and leaves them for the caller to remove. Results are
// printed as key=value lines (evlog_per_s=..., bare_p99_us=..., ...). The two
// are interleaved call by call so that both see the same device and writeback conditions;
// events/s is count / (sum of that side's call latencies).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/batch.h"
#include "eventlog/log.h"
#include "bench_common.h"

namespace {

using evlog_bench::Die;
using evlog_bench::ParseCount;

// A JSON-ish line of exactly `bytes` bytes (at least a few dozen), like the script's input.
std::string MakePayload(uint64_t i, size_t bytes) {
  std::string s = "{\"id\":" + std::to_string(i) + ",\"user\":\"u" + std::to_string(i % 1000) +
                  "\",\"action\":\"update\",\"data\":\"";
  const std::string tail = "\"}";
  while (s.size() + tail.size() < bytes) s.push_back(static_cast<char>('a' + (s.size() % 26)));
  s += tail;
  return s;
}


// One durable single-event append through the library: a one-event batch, Log::Append
// with default options (sync=true), so the call returns only after fdatasync.
class EvlogAppender {
 public:
  explicit EvlogAppender(const std::string& dir) : dir_(dir) {
    auto log = eventlog::Log::Open(dir, {.create_if_missing = true});
    if (!log) Die("open " + dir + ": " + log.error().message());
    log_ = std::move(*log);
    batch_ = std::make_unique<eventlog::Batch>(log_->NewBatch());
  }

  void Append(std::string_view payload) {
    batch_->Clear();
    eventlog::Status added = batch_->Add({.payload = payload});
    if (!added.ok()) Die("batch add: " + added.message());
    auto appended = log_->Append(*batch_);
    if (!appended) Die("append: " + appended.error().message());
    if (appended->count != 1 || appended->first_offset != next_) Die("append returned an unexpected offset");
    ++next_;
  }

  // Cheap correctness check: the log holds every event, the last one as written.
  void Verify(std::string_view last_payload) {
    auto info = log_->Info();
    if (!info) Die("info: " + info.error().message());
    if (info->next_offset != next_) Die("log has the wrong number of events");
    auto reader = log_->NewReader();
    if (!reader) Die("reader: " + reader.error().message());
    if (!(*reader)->SeekToOffset(next_ - 1).ok()) Die("seek failed");
    eventlog::Event event;
    auto next = (*reader)->Next(&event);
    if (!next || !*next || event.payload != last_payload) Die("last event does not read back");
  }

 private:
  std::string dir_;
  std::unique_ptr<eventlog::Log> log_;
  std::unique_ptr<eventlog::Batch> batch_;
  uint64_t next_ = 0;
};

// The floor: pwrite the same bytes at the end of a plain file, then fdatasync.
class BareAppender {
 public:
  explicit BareAppender(const std::string& path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) Die("open " + path + ": " + std::strerror(errno));
    // Make the file's creation durable first, as a log does when it creates a segment.
    if (::fsync(fd_) != 0) Die(std::string("fsync: ") + std::strerror(errno));
  }
  ~BareAppender() { ::close(fd_); }

  void Append(std::string_view p) {
    size_t done = 0;
    while (done < p.size()) {
      const ssize_t n = ::pwrite(fd_, p.data() + done, p.size() - done, end_ + static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) Die(std::string("pwrite: ") + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    end_ += static_cast<off_t>(p.size());
    if (::fdatasync(fd_) != 0) Die(std::string("fdatasync: ") + std::strerror(errno));
  }

  void Verify() {
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || st.st_size != end_) Die("bare file has the wrong size");
  }

 private:
  int fd_ = -1;
  off_t end_ = 0;
};


void Usage() {
  std::fprintf(stderr,
               "usage: evlog_bench_durable --dir DIR [--count N (2000)] [--payload-bytes B (150)] "
               "[--warmup W (20)]\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  uint64_t count = 2000;
  uint64_t warmup = 20;
  uint64_t payload_bytes = 150;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        Usage();
        Die(std::string("missing value for ") + argv[i]);
      }
      return argv[++i];
    };
    if (arg == "--dir") {
      dir = value();
    } else if (arg == "--count") {
      count = ParseCount("--count", value());
    } else if (arg == "--payload-bytes") {
      payload_bytes = ParseCount("--payload-bytes", value());
    } else if (arg == "--warmup") {
      warmup = ParseCount("--warmup", value());
    } else if (arg == "-h" || arg == "--help") {
      Usage();
      return 0;
    } else {
      Usage();
      Die("unknown argument " + std::string(arg));
    }
  }
  if (dir.empty()) {
    Usage();
    Die("--dir is required");
  }
  if (count == 0) Die("--count must be positive");
  if (payload_bytes < 64 || payload_bytes > 65536) Die("--payload-bytes must be in 64..65536");
  if (!std::filesystem::is_directory(dir)) Die(dir + " is not a directory");

  const std::string log_dir = dir + "/evlog-durable";
  const std::string bare_path = dir + "/bare-durable.dat";
  std::error_code ec;
  std::filesystem::remove_all(log_dir, ec);

  std::printf("payload_bytes=%llu\n", static_cast<unsigned long long>(payload_bytes));
  std::printf("warmup=%llu\n", static_cast<unsigned long long>(warmup));
  // The two are interleaved (alternating which goes first) so that both see the same
  // background writeback and device state; each one's time is the sum of its own calls.
  std::vector<std::string> payloads;
  payloads.reserve(count + warmup);
  for (uint64_t i = 0; i < count + warmup; ++i) payloads.push_back(MakePayload(i, payload_bytes));
  EvlogAppender evlog_appender(log_dir);
  BareAppender bare_appender(bare_path);
  std::vector<double> evlog_us, bare_us;
  evlog_bench::TimeInterleaved(
      count, warmup, [&](uint64_t i) { evlog_appender.Append(payloads[i]); },
      [&](uint64_t i) { bare_appender.Append(payloads[i]); }, &evlog_us, &bare_us);
  evlog_appender.Verify(payloads.back());
  bare_appender.Verify();
  evlog_bench::PrintSideBySide("evlog", "bare", evlog_us, bare_us);
  return 0;
}
