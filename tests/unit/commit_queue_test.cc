// Group commit across processes (commit_queue.h, format-spec §6.8), with real processes on
// the real file system: shared memory and byte locks are what the fault-injecting file
// system cannot model. Each test makes the interleaving it checks happen for certain, by
// holding LOG/LOCK itself or by pausing a process inside it, never by sleeping and hoping.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <functional>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "coding.h"
#include "commit_queue.h"
#include "eventlog/compaction.h"
#include "eventlog/file_system.h"
#include "eventlog/log.h"
#include "eventlog/reader.h"
#include "format.h"
#include "frame.h"

namespace eventlog {
namespace {

namespace q = format::queue;

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/evlog-queue-test.XXXXXX";
    REQUIRE(mkdtemp(name) != nullptr);
    path_ = name;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Pipe {
  int fd[2];
  Pipe() { REQUIRE(pipe(fd) == 0); }
  ~Pipe() {
    close(fd[0]);
    close(fd[1]);
  }
  void Send(const void* data, size_t n) const { REQUIRE(write(fd[1], data, n) == static_cast<ssize_t>(n)); }
  bool Receive(void* data, size_t n) const {
    char* p = static_cast<char*>(data);
    while (n > 0) {
      ssize_t got = read(fd[0], p, n);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
};

// What a child reports about its append: a StatusCode and, if OK, the first offset.
struct Outcome {
  uint32_t code = UINT32_MAX;
  uint64_t first_offset = 0;
};

Outcome AppendOne(Log& log, const std::string& payload) {
  Batch batch = log.NewBatch();
  REQUIRE(batch.Add({.payload = payload}).ok());
  auto appended = log.Append(batch);
  if (!appended) return {static_cast<uint32_t>(appended.error().code()), 0};
  return {0, appended->first_offset};
}

// `alone`: never hand batches over (a bounded wait for the lock does not), so that this
// process takes the lock itself and becomes the holder.
std::unique_ptr<Log> OpenLog(const std::string& dir, FileSystem* fs = nullptr, bool alone = false) {
  LogOptions options{.create_if_missing = true, .fs = fs};
  if (alone) options.lock_timeout = std::chrono::seconds(60);
  auto log = Log::Open(dir, options);
  if (!log) std::_Exit(90);  // in a child; the parent sees the exit status
  return std::move(log).value();
}

std::vector<std::pair<uint64_t, std::string>> ReadAll(const std::string& dir) {
  auto log = Log::Open(dir, {});
  REQUIRE(log);
  auto reader = (*log)->NewReader();
  REQUIRE(reader);
  std::vector<std::pair<uint64_t, std::string>> events;
  Event event;
  while (true) {
    auto more = (*reader)->Next(&event);
    REQUIRE(more);
    if (!*more) break;
    events.emplace_back(event.offset, std::string(event.payload));
  }
  return events;
}

std::string PayloadAt(const std::string& dir, uint64_t offset) {
  for (auto& [o, payload] : ReadAll(dir)) {
    if (o == offset) return payload;
  }
  return "(no event at offset " + std::to_string(offset) + ")";
}

uint64_t HeadSequence(const std::string& dir) {
  auto file = PosixFileSystem()->Open(dir + "/HEAD", OpenMode::kReadOnly);
  REQUIRE(file);
  char bytes[8];
  auto read = (*file)->Read(8, bytes);
  REQUIRE(read);
  REQUIRE(*read == 8);
  return GetFixed64(bytes);
}

LogId LogIdOf(const std::string& dir) {
  auto meta = PosixFileSystem()->Open(dir + "/META", OpenMode::kReadOnly);
  REQUIRE(meta);
  LogId id{};
  auto read = (*meta)->Read(format::meta::kLogIdAt, std::span<char>(id.data(), id.size()));
  REQUIRE(read);
  REQUIRE(*read == id.size());
  return id;
}

// QUEUE mapped as the test's own; created, with the log's header, as a process about to
// hand over creates it.
std::unique_ptr<SharedRegion> MapQueue(const std::string& dir) {
  auto created = CommitQueue::Open(PosixFileSystem(), dir + "/QUEUE", LogIdOf(dir), /*create=*/true);
  REQUIRE(created);
  auto region = PosixFileSystem()->OpenShared(dir + "/QUEUE", q::kHeaderSize + size_t{q::kSlotCount} * q::kSlotBytes);
  REQUIRE(region);
  REQUIRE(*region);
  return std::move(region).value();
}

char* SlotOf(SharedRegion& queue, uint32_t slot) { return queue.data() + q::kHeaderSize + size_t{slot} * q::kSlotBytes; }

uint32_t StateOf(SharedRegion& queue, uint32_t slot) {
  return __atomic_load_n(reinterpret_cast<uint32_t*>(SlotOf(queue, slot) + q::kStateAt), __ATOMIC_ACQUIRE);
}

int CountInState(const std::string& dir, uint32_t state) {
  if (!std::filesystem::exists(dir + "/QUEUE")) return 0;
  auto queue = MapQueue(dir);
  int n = 0;
  for (uint32_t slot = 0; slot < q::kSlotCount; ++slot) n += StateOf(*queue, slot) == state;
  return n;
}

// Polls `done` for up to 20 s (a stuck test fails, it does not hang).
bool WaitFor(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

int ExitStatus(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A child that has the log open (its first append commits alone), says so with one byte
// on `up`, waits for EOF on `go`, appends `payload` and reports the Outcome.
pid_t StartWaiter(const std::string& dir, const std::string& payload, const Pipe& up, const Pipe& down) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid != 0) return pid;
  close(down.fd[1]);  // else EOF never comes
  auto log = OpenLog(dir);
  if (AppendOne(*log, "join " + payload).code != 0) std::_Exit(91);
  up.Send("j", 1);
  char byte;
  while (read(down.fd[0], &byte, 1) > 0) {
  }
  const Outcome outcome = AppendOne(*log, payload);
  up.Send(&outcome, sizeof outcome);
  std::_Exit(0);
}

TEST_CASE("batches of processes waiting for the lock are committed by its holder, under one publish") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  { OpenLog(log_dir); }
  constexpr int kWaiters = 3;
  std::vector<pid_t> pids;
  std::vector<std::unique_ptr<Pipe>> ups;
  Pipe down;
  for (int i = 0; i < kWaiters; ++i) {
    ups.push_back(std::make_unique<Pipe>());
    pids.push_back(StartWaiter(log_dir, "batch " + std::to_string(i), *ups.back(), down));
    char joined;
    REQUIRE(ups.back()->Receive(&joined, 1));
  }
  uint64_t sequence_before = 0;
  {
    auto lock = PosixFileSystem()->Lock(log_dir + "/LOCK");
    REQUIRE(lock);
    sequence_before = HeadSequence(log_dir);
    close(down.fd[1]);  // go: each appends, finds the lock held, and hands its batch over
    down.fd[1] = open("/dev/null", O_WRONLY);
    REQUIRE(WaitFor([&] { return CountInState(log_dir, 1) == kWaiters; }));
  }  // the first to get the lock withdraws its own batch and commits the others' with it
  for (int i = 0; i < kWaiters; ++i) {
    Outcome outcome;
    REQUIRE(ups[i]->Receive(&outcome, sizeof outcome));
    CHECK(outcome.code == 0);
    CHECK(PayloadAt(log_dir, outcome.first_offset) == "batch " + std::to_string(i));
    CHECK(ExitStatus(pids[i]) == 0);
  }
  CHECK(HeadSequence(log_dir) == sequence_before + 1);
  CHECK(ReadAll(log_dir).size() == 2 * kWaiters);
  CHECK(CountInState(log_dir, 1) == 0);
  CHECK(CountInState(log_dir, 2) == 0);
}

TEST_CASE("processes that append once hand their batch over on their first commit") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  {
    auto log = OpenLog(log_dir);
    for (int i = 0; i < 3; ++i) REQUIRE(AppendOne(*log, "first").code == 0);
  }
  // Nobody ever waited for the lock: no QUEUE (1 MiB of disk) for a log with one appender.
  CHECK_FALSE(std::filesystem::exists(log_dir + "/QUEUE"));
  constexpr int kProcesses = 3;
  std::vector<pid_t> pids;
  std::vector<std::unique_ptr<Pipe>> ups;
  Pipe down;
  // Forked before the lock is taken: a child inheriting the descriptor that holds the
  // flock would keep it held.
  for (int i = 0; i < kProcesses; ++i) {
    ups.push_back(std::make_unique<Pipe>());
    const Pipe& up = *ups.back();
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(down.fd[1]);
      char byte;
      while (read(down.fd[0], &byte, 1) > 0) {
      }
      const Outcome outcome = AppendOne(*OpenLog(log_dir), "once " + std::to_string(i));
      up.Send(&outcome, sizeof outcome);
      std::_Exit(0);
    }
    pids.push_back(pid);
  }
  uint64_t sequence_before = 0;
  {
    auto lock = PosixFileSystem()->Lock(log_dir + "/LOCK");
    REQUIRE(lock);
    sequence_before = HeadSequence(log_dir);
    close(down.fd[1]);  // go
    down.fd[1] = open("/dev/null", O_WRONLY);
    REQUIRE(WaitFor([&] { return CountInState(log_dir, 1) == kProcesses; }));
  }
  for (int i = 0; i < kProcesses; ++i) {
    Outcome outcome;
    REQUIRE(ups[i]->Receive(&outcome, sizeof outcome));
    CHECK(outcome.code == 0);
    CHECK(PayloadAt(log_dir, outcome.first_offset) == "once " + std::to_string(i));
    CHECK(ExitStatus(pids[i]) == 0);
  }
  // Two publishes: the holder's recovery (a process's first commit recovers, and publishes
  // what it found) and its one commit of all three batches. Alone, each would make two.
  CHECK(HeadSequence(log_dir) == sequence_before + 2);
}

// The real file system, for wrappers that change one or two of its calls.
class PosixForwarding : public FileSystem {
 public:
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    return PosixFileSystem()->Open(path, mode);
  }
  Status Rename(const std::string& a, const std::string& b) override { return PosixFileSystem()->Rename(a, b); }
  Status Remove(const std::string& p) override { return PosixFileSystem()->Remove(p); }
  Status CreateDir(const std::string& p) override { return PosixFileSystem()->CreateDir(p); }
  Status SyncDir(const std::string& p) override { return PosixFileSystem()->SyncDir(p); }
  Result<std::vector<std::string>> ListDir(const std::string& p) override { return PosixFileSystem()->ListDir(p); }
  Result<bool> Exists(const std::string& p) override { return PosixFileSystem()->Exists(p); }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& p) override { return PosixFileSystem()->Lock(p); }
  Result<std::unique_ptr<FileLock>> TryLock(const std::string& p) override { return PosixFileSystem()->TryLock(p); }
  std::string LockHolder(const std::string& p) override { return PosixFileSystem()->LockHolder(p); }
  Result<std::unique_ptr<FileLock>> TryLockShared(const std::string& p) override {
    return PosixFileSystem()->TryLockShared(p);
  }
  Result<std::unique_ptr<FileWatch>> Watch(const std::string& p) override { return PosixFileSystem()->Watch(p); }
  Result<std::unique_ptr<SharedRegion>> OpenShared(const std::string& p, size_t size) override {
    return PosixFileSystem()->OpenShared(p, size);
  }
};

// A file system that lets a test stop a process inside the commit: once armed, taking
// LOG/LOCK waits until some slot of QUEUE is READY (so that this process, as the holder,
// takes it), and the first segment write or sync after a slot became CLAIMED kills the
// process, as a crash there would.
class HolderDeath final : public PosixForwarding {
 public:
  enum class DieAt { kWrite, kSync };
  HolderDeath(std::string dir, DieAt die_at) : dir_(std::move(dir)), die_at_(die_at) {}
  void Arm(const Pipe* holding) {
    armed_ = true;
    holding_ = holding;
  }

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    auto file = PosixFileSystem()->Open(path, mode);
    if (!file || !path.ends_with(".seg")) return file;
    return std::unique_ptr<File>(new DyingFile(this, std::move(file).value()));
  }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& p) override { return Hold(PosixFileSystem()->Lock(p)); }
  Result<std::unique_ptr<FileLock>> TryLock(const std::string& p) override {
    return Hold(PosixFileSystem()->TryLock(p));
  }

 private:
  class DyingFile final : public File {
   public:
    DyingFile(HolderDeath* fs, std::unique_ptr<File> file) : fs_(fs), file_(std::move(file)) {}
    Status Write(uint64_t offset, std::string_view data) override {
      fs_->MaybeDie(DieAt::kWrite);
      return file_->Write(offset, data);
    }
    Result<size_t> Read(uint64_t offset, std::span<char> out) const override { return file_->Read(offset, out); }
    Status Sync() override {
      fs_->MaybeDie(DieAt::kSync);
      return file_->Sync();
    }
    Status Truncate(uint64_t size) override { return file_->Truncate(size); }
    Result<uint64_t> Size() const override { return file_->Size(); }
    Result<std::unique_ptr<MappedRegion>> Map(uint64_t length) const override { return file_->Map(length); }

   private:
    HolderDeath* fs_;
    std::unique_ptr<File> file_;
  };

  // The first lock taken once armed: say so, and keep it until a batch is offered.
  Result<std::unique_ptr<FileLock>> Hold(Result<std::unique_ptr<FileLock>> lock) {
    if (armed_ && lock && *lock && !held_) {
      held_ = true;
      holding_->Send("L", 1);
      if (!WaitFor([&] { return CountInState(dir_, 1) > 0; })) std::_Exit(92);
    }
    return lock;
  }

  void MaybeDie(DieAt at) {
    if (armed_ && at == die_at_ && CountInState(dir_, 2) > 0) std::_Exit(9);
  }

  std::string dir_;
  DieAt die_at_;
  bool armed_ = false;
  bool held_ = false;
  const Pipe* holding_ = nullptr;
};

TEST_CASE("when the holder dies, the process whose batch it took learns from the log what became of it") {
  for (HolderDeath::DieAt die_at : {HolderDeath::DieAt::kSync, HolderDeath::DieAt::kWrite}) {
    CAPTURE(die_at == HolderDeath::DieAt::kSync ? "dies at fdatasync" : "dies before writing");
    TempDir dir;
    const std::string log_dir = dir.path() + "/log";
    { OpenLog(log_dir); }
    Pipe waiter_up, waiter_down;
    const pid_t waiter = StartWaiter(log_dir, "handed over", waiter_up, waiter_down);
    char byte;
    REQUIRE(waiter_up.Receive(&byte, 1));

    Pipe holding;
    const pid_t holder = fork();
    REQUIRE(holder >= 0);
    if (holder == 0) {
      close(waiter_down.fd[1]);
      HolderDeath fs(log_dir, die_at);
      auto log = OpenLog(log_dir, &fs, /*alone=*/true);
      fs.Arm(&holding);
      AppendOne(*log, "the holder's own");
      std::_Exit(0);  // not reached: the holder dies in its commit
    }
    REQUIRE(holding.Receive(&byte, 1));  // the holder has the lock and waits for a READY slot
    close(waiter_down.fd[1]);
    waiter_down.fd[1] = open("/dev/null", O_WRONLY);
    CHECK(ExitStatus(holder) == 9);

    Outcome outcome;
    REQUIRE(waiter_up.Receive(&outcome, sizeof outcome));
    CHECK(ExitStatus(waiter) == 0);
    std::vector<std::string> payloads;
    for (auto& [offset, payload] : ReadAll(log_dir)) payloads.push_back(payload);
    if (die_at == HolderDeath::DieAt::kSync) {
      // Written completely before the death: recovery keeps both batches and syncs them.
      CHECK(outcome.code == 0);
      CHECK(PayloadAt(log_dir, outcome.first_offset) == "handed over");
      CHECK(payloads == std::vector<std::string>{"join handed over", "the holder's own", "handed over"});
    } else {
      CHECK(outcome.code == static_cast<uint32_t>(StatusCode::kBusy));  // not committed: append again
      CHECK(payloads == std::vector<std::string>{"join handed over"});
    }
  }
}

// The byte locks a live owner of `slot` holds while its batches are offered.
std::vector<std::unique_ptr<FileLock>> LiveOwner(SharedRegion& queue, uint32_t slot) {
  std::vector<std::unique_ptr<FileLock>> locks;
  for (uint64_t byte : {uint64_t{slot}, uint64_t{q::kSlotCount} + slot}) {
    auto lock = queue.TryLockByte(byte);
    REQUIRE(lock);
    REQUIRE(*lock);
    locks.push_back(std::move(lock).value());
  }
  return locks;
}

std::string OneEventBody(std::string_view payload) {
  std::string body;
  AppendEventRecord(&body, EventInput{.payload = payload}, 0, 0);
  return body;
}

// Writes a one-batch, one-frame payload into `slot` and marks it READY.
void Offer(SharedRegion& queue, uint32_t slot, std::string_view body, uint32_t event_count = 1) {
  char* s = SlotOf(queue, slot);
  char* p = s + q::kPayloadAt;
  PutFixed32(p, 1);
  PutFixed32(p + 4, event_count);
  PutFixed32(p + 8, static_cast<uint32_t>(body.size()));
  std::memcpy(p + 12, body.data(), body.size());
  PutFixed32(s + q::kBatchCountAt, 1);
  PutFixed32(s + q::kPayloadBytesAt, static_cast<uint32_t>(12 + body.size()));
  __atomic_store_n(reinterpret_cast<uint32_t*>(s + q::kStateAt), 1u, __ATOMIC_RELEASE);
  __atomic_fetch_or(reinterpret_cast<uint64_t*>(queue.data() + q::kReadyMaskAt), uint64_t{1} << slot, __ATOMIC_ACQ_REL);
}

TEST_CASE("a holder takes only live owners' slots, and appends nothing of a malformed one") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  auto log = OpenLog(log_dir);
  REQUIRE(AppendOne(*log, "first").code == 0);  // commits alone and creates QUEUE
  auto queue = MapQueue(log_dir);
  // A dead owner's batch (no byte lock): its caller is gone, so it must never be appended.
  Offer(*queue, 62, OneEventBody("from a dead process"));
  // Live owners (this test holds their slot and offer bytes): one malformed, one good.
  auto malformed_owner = LiveOwner(*queue, 61);
  auto good_owner = LiveOwner(*queue, 60);
  std::string bad_body = OneEventBody("claims two events");
  Offer(*queue, 61, bad_body, /*event_count=*/2);
  Offer(*queue, 60, OneEventBody("handed over"));

  REQUIRE(AppendOne(*log, "second").code == 0);

  CHECK(StateOf(*queue, 62) == 1);  // left alone
  CHECK(StateOf(*queue, 61) == 3);
  CHECK(GetFixed32(SlotOf(*queue, 61) + q::kResultsAt + q::kResultCodeAt) ==
        static_cast<uint32_t>(StatusCode::kInvalidArgument));
  CHECK(std::string(SlotOf(*queue, 61) + q::kMessageAt).find("malformed") != std::string::npos);
  CHECK(StateOf(*queue, 60) == 3);
  CHECK(GetFixed32(SlotOf(*queue, 60) + q::kResultsAt + q::kResultCodeAt) == 0);
  const uint64_t handed_offset = GetFixed64(SlotOf(*queue, 60) + q::kResultsAt + q::kResultFirstOffsetAt);
  std::vector<std::string> payloads;
  for (auto& [offset, payload] : ReadAll(log_dir)) payloads.push_back(payload);
  CHECK(payloads == std::vector<std::string>{"first", "second", "handed over"});
  CHECK(PayloadAt(log_dir, handed_offset) == "handed over");
}

TEST_CASE("a slot whose second batch is malformed: every batch of it is refused, none reads as committed") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  auto log = OpenLog(log_dir);
  REQUIRE(AppendOne(*log, "first").code == 0);
  auto queue = MapQueue(log_dir);
  auto owner = LiveOwner(*queue, 59);
  // As an owner's Offer leaves the results: unknown until a holder writes them.
  char* s = SlotOf(*queue, 59);
  for (size_t i = 0; i < q::kMaxBatches; ++i) {
    PutFixed32(s + q::kResultsAt + i * q::kResultBytes + q::kResultCodeAt, static_cast<uint32_t>(StatusCode::kFailed));
  }
  const std::string good = OneEventBody("a good batch");
  const std::string bad = "\x05garbage";
  std::string payload;
  for (const std::string* body : {&good, &bad}) {
    char word[4];
    PutFixed32(word, 1);
    payload.append(word, 4);  // one frame
    payload.append(word, 4);  // of one event
    PutFixed32(word, static_cast<uint32_t>(body->size()));
    payload.append(word, 4);
    payload += *body;
  }
  std::memcpy(s + q::kPayloadAt, payload.data(), payload.size());
  PutFixed32(s + q::kBatchCountAt, 2);
  PutFixed32(s + q::kPayloadBytesAt, static_cast<uint32_t>(payload.size()));
  __atomic_store_n(reinterpret_cast<uint32_t*>(s + q::kStateAt), 1u, __ATOMIC_RELEASE);
  __atomic_fetch_or(reinterpret_cast<uint64_t*>(queue->data() + q::kReadyMaskAt), uint64_t{1} << 59, __ATOMIC_ACQ_REL);

  REQUIRE(AppendOne(*log, "second").code == 0);

  CHECK(StateOf(*queue, 59) == 3);
  for (size_t i = 0; i < 2; ++i) {
    CAPTURE(i);
    CHECK(GetFixed32(s + q::kResultsAt + i * q::kResultBytes + q::kResultCodeAt) ==
          static_cast<uint32_t>(StatusCode::kInvalidArgument));
  }
  std::vector<std::string> payloads;
  for (auto& [offset, p] : ReadAll(log_dir)) payloads.push_back(p);
  CHECK(payloads == std::vector<std::string>{"first", "second"});
}

// The checksum field of the frame at 64 of the first segment: a log's first frame.
uint64_t FirstFrameChecksum(const std::string& log_dir) {
  std::string frame(format::frame::kHeaderSize, '\0');
  auto segment = PosixFileSystem()->Open(log_dir + "/00000000000000000000.seg", OpenMode::kReadOnly);
  REQUIRE(segment);
  REQUIRE((*segment)->Read(64, std::span<char>(frame.data(), frame.size())));
  return GetFixed64(frame.data() + format::frame::kChecksumAt);
}

// Records in result `r` where a holder put a batch's last frame: segment base, position,
// checksum field, first offset.
void Place(char* r, const std::array<uint64_t, 4>& placement) {
  PutFixed64(r + q::kResultSegmentAt, placement[0]);
  PutFixed64(r + q::kResultPositionAt, placement[1]);
  PutFixed64(r + q::kResultChecksumAt, placement[2]);
  PutFixed64(r + q::kResultFirstOffsetAt, placement[3]);
  PutFixed32(r + q::kResultPlacedAt, 1);
}

// Makes `slot` what a holder that died leaves: CLAIMED, one batch of one event, and (if
// given) where it was to put the batch's last frame.
void Orphan(SharedRegion& queue, uint32_t slot, std::optional<std::array<uint64_t, 4>> placement,
            std::string_view payload = "orphan") {
  Offer(queue, slot, OneEventBody(payload));
  char* s = SlotOf(queue, slot);
  char* r = s + q::kResultsAt;
  PutFixed32(r + q::kResultCodeAt, static_cast<uint32_t>(StatusCode::kFailed));
  if (placement) Place(r, *placement);
  __atomic_store_n(reinterpret_cast<uint32_t*>(s + q::kStateAt), 2u, __ATOMIC_RELEASE);
}

TEST_CASE("the next lock holder resolves what a dead holder took over, from the log, before it appends") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  { REQUIRE(AppendOne(*OpenLog(log_dir), "first").code == 0); }  // one frame at 64
  const uint64_t checksum = FirstFrameChecksum(log_dir);
  {
    auto queue = MapQueue(log_dir);
    Orphan(*queue, 50, std::array<uint64_t, 4>{0, 64, checksum, 0}, "first");      // its frame is in the log
    Orphan(*queue, 51, std::array<uint64_t, 4>{0, 64, checksum ^ 1, 0}, "first");  // another frame is there
    Orphan(*queue, 52, std::array<uint64_t, 4>{0, 4096, checksum, 1});              // beyond the end: cut
    Orphan(*queue, 53, std::nullopt);                                                 // never placed
    // The frame recorded is there, but the slot's batch is not what it holds: a slot
    // changed under the protocol, whose outcome cannot be told.
    Orphan(*queue, 54, std::array<uint64_t, 4>{0, 64, checksum, 0}, "not first");
  }
  auto log = OpenLog(log_dir);
  REQUIRE(AppendOne(*log, "second").code == 0);
  auto queue = MapQueue(log_dir);
  auto code = [&](uint32_t slot) { return GetFixed32(SlotOf(*queue, slot) + q::kResultsAt + q::kResultCodeAt); };
  for (uint32_t slot : {50u, 51u, 52u, 53u, 54u}) CHECK(StateOf(*queue, slot) == 3);
  CHECK(code(54) == static_cast<uint32_t>(StatusCode::kFailed));
  CHECK(code(50) == 0);
  CHECK(GetFixed64(SlotOf(*queue, 50) + q::kResultsAt + q::kResultFirstOffsetAt) == 0);
  for (uint32_t slot : {51u, 52u, 53u}) {
    CAPTURE(slot);
    CHECK(code(slot) == static_cast<uint32_t>(StatusCode::kBusy));
    CHECK(std::string(SlotOf(*queue, slot) + q::kMessageAt).find("not committed") != std::string::npos);
  }
  std::vector<std::string> payloads;
  for (auto& [offset, p] : ReadAll(log_dir)) payloads.push_back(p);
  CHECK(payloads == std::vector<std::string>{"first", "second"});
}

// The whole class of outcome errors at once: processes append while others are killed at
// random moments (holders in the middle of commits for others, owners while offered, new
// owners taking dead owners' slots). Each process records every outcome before its next
// append; afterwards, every batch reported committed is in the log at its offset, and
// none reported not committed is there at all.
TEST_CASE("under random SIGKILLs, committed means in the log and not committed means absent") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  { REQUIRE(AppendOne(*OpenLog(log_dir), "first").code == 0); }
  constexpr int kProcesses = 6;
  auto run = [&](int who, int generation) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid != 0) return pid;
    const std::string record = dir.path() + "/outcomes-" + std::to_string(who) + "-" + std::to_string(generation);
    const int out = open(record.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    auto log = OpenLog(log_dir);
    for (int i = 0; i < 400; ++i) {
      const std::string payload = "p" + std::to_string(who) + "-" + std::to_string(generation) + "-" + std::to_string(i);
      const Outcome outcome = AppendOne(*log, payload);
      // 64-byte records never straddle a page, so a kill cannot leave half of one.
      std::string line = std::to_string(outcome.code) + " " + std::to_string(outcome.first_offset) + " " + payload;
      line.resize(63, ' ');
      line += '\n';
      if (write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::_Exit(93);
    }
    std::_Exit(0);
  };
  std::vector<pid_t> pids(kProcesses);
  std::vector<int> generations(kProcesses, 0);
  for (int who = 0; who < kProcesses; ++who) pids[who] = run(who, 0);
  uint32_t random = 12345;
  int kills = 0;
  for (int round = 0; round < 60; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + random % 30));
    random = random * 1103515245 + 12345;
    const int who = static_cast<int>((random >> 16) % kProcesses);
    if (kill(pids[who], SIGKILL) == 0) ++kills;
    int status = 0;
    REQUIRE(waitpid(pids[who], &status, 0) == pids[who]);
    pids[who] = run(who, ++generations[who]);
  }
  for (pid_t pid : pids) {
    const int status = ExitStatus(pid);
    CHECK((status == 0 || status == 128 + SIGKILL));
  }
  std::map<std::string, uint64_t> in_log;
  for (const auto& event : ReadAll(log_dir)) {  // (not a structured binding: clang 14's CHECK cannot capture one)
    CHECK_MESSAGE(in_log.emplace(event.second, event.first).second, "appended twice: ", event.second);
  }
  int committed = 0, not_committed = 0, unknown = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().filename().string().rfind("outcomes-", 0) != 0) continue;
    std::ifstream lines(entry.path());
    uint32_t code;
    uint64_t offset;
    std::string payload;
    while (lines >> code >> offset >> payload) {
      CAPTURE(payload);
      if (code == 0) {
        ++committed;
        auto found = in_log.find(payload);
        REQUIRE(found != in_log.end());
        CHECK(found->second == offset);
      } else if (code == static_cast<uint32_t>(StatusCode::kFailed)) {
        ++unknown;
      } else {
        ++not_committed;
        CHECK(in_log.count(payload) == 0);
      }
    }
  }
  MESSAGE(kills, " kills; ", committed, " committed, ", not_committed, " not committed, ", unknown, " unknown");
  CHECK(committed > 0);
}

TEST_CASE("a child forked without exec that drops an inherited byte lock leaves the parent's lock held") {
  TempDir dir;
  const std::string path = dir.path() + "/shared";
  auto region = PosixFileSystem()->OpenShared(path, 4096);
  REQUIRE(region);
  auto lock = (*region)->TryLockByte(5);
  REQUIRE(lock);
  REQUIRE(*lock);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    lock->reset();  // as destroying an inherited Log, or exit() running destructors, would
    std::_Exit(0);
  }
  REQUIRE(ExitStatus(child) == 0);
  auto other = PosixFileSystem()->OpenShared(path, 4096);  // another description: sees the lock
  REQUIRE(other);
  auto held = (*other)->ByteLockedElsewhere(5);
  REQUIRE(held);
  CHECK(*held);
}

TEST_CASE("a QUEUE file of another log is left alone, and appends go on without it") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  { OpenLog(log_dir); }
  {
    auto queue = MapQueue(log_dir);
    std::memcpy(queue->data(), "EVLOGQUE", 8);  // a header that is not this log's
    PutFixed32(queue->data() + q::kVersionAt, 99);
  }
  auto log = OpenLog(log_dir);
  REQUIRE(AppendOne(*log, "one").code == 0);
  REQUIRE(AppendOne(*log, "two").code == 0);
  auto queue = MapQueue(log_dir);
  CHECK(GetFixed32(queue->data() + q::kVersionAt) == 99);
  CHECK(ReadAll(log_dir).size() == 2);
}

// A child that opens the log, waits for EOF on `go`, appends `payload` (handing it over if
// the lock is held) and reports the Outcome on `up`.
pid_t StartAppender(const std::string& dir, const std::string& payload, const Pipe& up, const Pipe& go) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid != 0) return pid;
  close(go.fd[1]);
  auto log = OpenLog(dir);
  char byte;
  while (read(go.fd[0], &byte, 1) > 0) {
  }
  const Outcome outcome = AppendOne(*log, payload);
  up.Send(&outcome, sizeof outcome);
  std::_Exit(0);
}

// A child appends `payload` while this process holds LOG/LOCK; `while_held` runs once the
// child was told to go, before the lock is released. The child's outcome.
Outcome AppendAgainstHeldLock(const std::string& log_dir, const std::string& payload,
                              const std::function<void()>& while_held = {}) {
  Pipe up, go;
  const pid_t appender = StartAppender(log_dir, payload, up, go);
  {
    auto lock = PosixFileSystem()->Lock(log_dir + "/LOCK");
    REQUIRE(lock);
    close(go.fd[1]);  // go
    go.fd[1] = open("/dev/null", O_WRONLY);
    if (while_held) while_held();
  }
  Outcome outcome;
  REQUIRE(up.Receive(&outcome, sizeof outcome));
  CHECK(ExitStatus(appender) == 0);
  return outcome;
}

int ReadySlot(const std::string& dir) {
  auto queue = MapQueue(dir);
  for (uint32_t slot = 0; slot < q::kSlotCount; ++slot) {
    if (StateOf(*queue, slot) == 1) return static_cast<int>(slot);
  }
  return -1;
}

// A child appends `payload` while this process, holding LOG/LOCK, plays the holder that
// takes its offer: it answers "committed at placement[3]", with the placement given
// (segment base, position, checksum field, first offset), without appending anything.
Outcome AnswerCommitted(const std::string& log_dir, const std::string& payload,
                        const std::array<uint64_t, 4>& placement) {
  return AppendAgainstHeldLock(log_dir, payload, [&] {
    REQUIRE(WaitFor([&] { return ReadySlot(log_dir) >= 0; }));
    auto queue = MapQueue(log_dir);
    char* s = SlotOf(*queue, static_cast<uint32_t>(ReadySlot(log_dir)));
    __atomic_store_n(reinterpret_cast<uint32_t*>(s + q::kStateAt), 2u, __ATOMIC_RELEASE);  // claimed
    char* r = s + q::kResultsAt;
    Place(r, placement);
    PutFixed32(r + q::kResultCodeAt, 0);
    __atomic_store_n(reinterpret_cast<uint32_t*>(s + q::kStateAt), 3u, __ATOMIC_RELEASE);  // done
    __atomic_fetch_add(reinterpret_cast<uint32_t*>(queue->data() + q::kReleasesAt), 1u, __ATOMIC_RELEASE);
    queue->WakeAll(q::kReleasesAt);
  });
}

// The defect class a review found by truncating QUEUE under running appends: a holder whose
// slot was taken from under it (the truncation zeroed its CLAIMED state, its owner died, a
// new owner offered in it) wrote its old results into the new owner's slot, and the new
// owner reported "committed" at the offset of another process's batch. Here the test plays
// that stale holder: it answers a live owner's offer with a result the log does bear out,
// but for another batch.
TEST_CASE("an owner believes a result that says committed only if the log holds its own batch there") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  { REQUIRE(AppendOne(*OpenLog(log_dir), "another process's event").code == 0); }  // a frame at 64
  const uint64_t checksum = FirstFrameChecksum(log_dir);
  const Outcome outcome = AnswerCommitted(log_dir, "mine", {0, 64, checksum, 0});
  CHECK(outcome.code == static_cast<uint32_t>(StatusCode::kFailed));  // unknown, not committed at 0
  CHECK(ReadAll(log_dir) == std::vector<std::pair<uint64_t, std::string>>{{0, "another process's event"}});
}

// Between the holder's DONE and the owner's check, the log may roll, and key compaction
// rewrite (or retention remove) the segment that holds the owner's batch: the frame is no
// longer where it was put. The owner then reads its events by offset; they are there after
// key compaction, which keeps unkeyed events at their offsets, and gone after retention
// (unknown: the log can no longer confirm them). The test's own event plays the owner's
// batch, committed there by a holder: same bytes, same place.
TEST_CASE("an owner whose batch's segment was compacted or removed before its check reads its events by offset") {
  for (bool removed : {false, true}) {
    CAPTURE(removed);
    TempDir dir;
    const std::string log_dir = dir.path() + "/log";
    {
      LogOptions options{.create_if_missing = true};
      options.limits.segment_bytes = 4096;
      auto log = Log::Open(log_dir, options);
      REQUIRE(log);
      REQUIRE(AppendOne(**log, "mine").code == 0);  // offset 0, a frame at 64
      for (const char* value : {"old", "new"}) {
        Batch batch = (*log)->NewBatch();
        REQUIRE(batch.Add({.key = "k", .payload = value}).ok());
        REQUIRE((*log)->Append(batch));
      }
    }
    const uint64_t checksum = FirstFrameChecksum(log_dir);
    {
      auto log = OpenLog(log_dir);
      REQUIRE(AppendOne(*log, std::string(3000, 'r')).code == 0);  // the first segment is closed
      REQUIRE(AppendOne(*log, std::string(3000, 's')).code == 0);
      CompactionOptions options;
      if (removed) {
        options.before_offset = 4;  // the first segment: offsets 0 to 3
      } else {
        options.keep_latest_per_key = true;
      }
      auto report = CompactLog(*log, options);
      REQUIRE(report);
      REQUIRE(report->removed.size() == (removed ? 1 : 0));
      if (!removed) REQUIRE(report->keys);
    }
    const Outcome outcome = AnswerCommitted(log_dir, "mine", {0, 64, checksum, 0});
    if (removed) {
      CHECK(outcome.code == static_cast<uint32_t>(StatusCode::kFailed));
    } else {
      CHECK(outcome.code == 0);
      CHECK(outcome.first_offset == 0);
    }
  }
}

// A process that keeps the log open (a streaming append, a replay's dead-letter log) maps
// QUEUE once; a program truncating QUEUE between its commits must not kill it at the next.
TEST_CASE("a process that has QUEUE mapped survives its truncation between commits") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  { OpenLog(log_dir); }
  MapQueue(log_dir);
  Pipe up, go;
  const pid_t appender = fork();
  REQUIRE(appender >= 0);
  if (appender == 0) {
    close(go.fd[1]);
    auto log = OpenLog(log_dir);
    if (AppendOne(*log, "before").code != 0) std::_Exit(91);  // QUEUE is mapped now
    up.Send("m", 1);
    char byte;
    while (read(go.fd[0], &byte, 1) > 0) {
    }
    std::_Exit(AppendOne(*log, "after").code == 0 ? 0 : 92);
  }
  char byte;
  REQUIRE(up.Receive(&byte, 1));
  std::filesystem::resize_file(log_dir + "/QUEUE", 0);
  close(go.fd[1]);
  go.fd[1] = open("/dev/null", O_WRONLY);
  CHECK(ExitStatus(appender) == 0);  // 128 + SIGBUS without the check
  CHECK(ReadAll(log_dir).size() == 2);
}

// The owner's slot is CLAIMED by a holder that died, and QUEUE is cut short (its header and
// first two slots kept) before the owner takes the lock: adopting the log drops the queue and
// maps the file again, where this process has no slot. It must not then read or free slot
// 0, which another live owner holds READY.
TEST_CASE("an owner whose QUEUE was cut short while it waited reports unknown and leaves other slots alone") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  { REQUIRE(AppendOne(*OpenLog(log_dir), "first").code == 0); }
  auto queue = MapQueue(log_dir);
  auto bystander = LiveOwner(*queue, 0);  // so the owner below takes slot 1
  Offer(*queue, 0, OneEventBody("a bystander's"));
  const Outcome outcome = AppendAgainstHeldLock(log_dir, "mine", [&] {
    REQUIRE(WaitFor([&] { return StateOf(*queue, 1) == 1; }));
    __atomic_store_n(reinterpret_cast<uint32_t*>(SlotOf(*queue, 1) + q::kStateAt), 2u, __ATOMIC_RELEASE);
    std::filesystem::resize_file(log_dir + "/QUEUE", q::kHeaderSize + 2 * q::kSlotBytes);
  });
  CHECK(outcome.code == static_cast<uint32_t>(StatusCode::kFailed));
  CHECK(StateOf(*queue, 0) == 1);  // still the bystander's offer
  CHECK(ReadAll(log_dir).size() == 1);
}

TEST_CASE("an owner whose offered slot another program reset reports the outcome unknown") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  { REQUIRE(AppendOne(*OpenLog(log_dir), "first").code == 0); }
  const Outcome outcome = AppendAgainstHeldLock(log_dir, "mine", [&] {
    REQUIRE(WaitFor([&] { return ReadySlot(log_dir) >= 0; }));
    auto queue = MapQueue(log_dir);
    char* s = SlotOf(*queue, static_cast<uint32_t>(ReadySlot(log_dir)));
    std::memset(s, 0, q::kSlotBytes);  // as `dd conv=notrunc if=/dev/zero of=LOG/QUEUE` would
  });
  CHECK(outcome.code == static_cast<uint32_t>(StatusCode::kFailed));  // a holder might have taken it first
  CHECK(ReadAll(log_dir).size() == 1);
}

// A process stopped while it holds the header lock (byte 128), or any process that can read
// QUEUE and locks that byte, must not stop the others: a header that reads as this log's is
// used without the lock, and one that is not written yet is nobody's to resolve.
TEST_CASE("a process holding QUEUE's header lock stops no append") {
  for (bool header_written : {true, false}) {
    CAPTURE(header_written);
    TempDir dir;
    const std::string log_dir = dir.path() + "/log";
    { OpenLog(log_dir); }
    std::unique_ptr<SharedRegion> queue;
    if (header_written) {
      queue = MapQueue(log_dir);
    } else {
      auto region = PosixFileSystem()->OpenShared(log_dir + "/QUEUE", q::kHeaderSize + size_t{q::kSlotCount} * q::kSlotBytes);
      REQUIRE(region);
      queue = std::move(region).value();
    }
    auto header_lock = queue->TryLockByte(q::kInitLockByte);
    REQUIRE(header_lock);
    REQUIRE(*header_lock);
    {
      auto log = OpenLog(log_dir);  // its own opening of QUEUE: the byte lock excludes it
      REQUIRE(AppendOne(*log, "alone").code == 0);
    }
    // Contended: the appender hands over (a header of this log) or commits alone (none yet).
    const Outcome outcome = AppendAgainstHeldLock(log_dir, "contended", [&] {
      if (header_written) REQUIRE(WaitFor([&] { return ReadySlot(log_dir) >= 0; }));
    });
    CHECK(outcome.code == 0);
    CHECK(ReadAll(log_dir).size() == 2);
  }
}

// A file system on which QUEUE cannot be mapped for writing, as for a user who may read it
// but not write it (tests run as root, which permission bits do not stop).
class QueueNotWritable final : public PosixForwarding {
 public:
  Result<std::unique_ptr<SharedRegion>> OpenShared(const std::string& p, size_t) override {
    return Status::IOError(fmt::format("open {}: Permission denied", p));
  }
};

TEST_CASE("a lock holder that cannot open QUEUE appends, unless QUEUE holds batches it would have to resolve") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  { OpenLog(log_dir); }
  QueueNotWritable fs;
  {
    MapQueue(log_dir);  // a queue of this log, nothing claimed in it
    auto log = OpenLog(log_dir, &fs);
    REQUIRE(AppendOne(*log, "one").code == 0);
  }
  {
    auto queue = MapQueue(log_dir);
    Orphan(*queue, 7, std::nullopt);  // a dead holder's
  }
  auto log = OpenLog(log_dir, &fs);
  Batch batch = log->NewBatch();
  REQUIRE(batch.Add({.payload = "two"}).ok());
  auto appended = log->Append(batch);
  REQUIRE_FALSE(appended);
  CHECK(appended.error().message().find("QUEUE holds, or may hold, batches whose committing process died") !=
        std::string::npos);
  CHECK(ReadAll(log_dir).size() == 1);
  // Its owner's process (or any that can write QUEUE) resolves it; then appending goes on.
  { REQUIRE(AppendOne(*OpenLog(log_dir), "three").code == 0); }
  CHECK(AppendOne(*log, "four").code == 0);
  CHECK(ReadAll(log_dir).size() == 3);
}

TEST_CASE("a QUEUE that is not a regular file holds nothing: appends go on, alone") {
  for (const char* kind : {"a directory", "a FIFO", "a symbolic link to a queue"}) {
    CAPTURE(kind);
    TempDir dir;
    const std::string log_dir = dir.path() + "/log";
    { OpenLog(log_dir); }
    const std::string queue = log_dir + "/QUEUE";
    if (kind[2] == 'd') {
      REQUIRE(mkdir(queue.c_str(), 0755) == 0);
    } else if (kind[2] == 'F') {
      REQUIRE(mkfifo(queue.c_str(), 0644) == 0);  // opening it must not wait for a writer
    } else {
      MapQueue(log_dir);  // a real queue of this log, reached only through the link
      REQUIRE(rename(queue.c_str(), (log_dir + "/real-queue").c_str()) == 0);
      REQUIRE(symlink("real-queue", queue.c_str()) == 0);
    }
    { REQUIRE(AppendOne(*OpenLog(log_dir), "uncontended").code == 0); }
    CHECK(AppendAgainstHeldLock(log_dir, "contended").code == 0);
    CHECK(ReadAll(log_dir).size() == 2);
  }
}

TEST_CASE("a shared lock on a dead owner's offer byte does not make its batch look offered") {
  TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  auto log = OpenLog(log_dir);
  REQUIRE(AppendOne(*log, "first").code == 0);
  auto queue = MapQueue(log_dir);
  Offer(*queue, 9, OneEventBody("from a dead process"));
  // A reader of QUEUE takes a shared lock on the offer byte; only an owner's is exclusive.
  const int fd = open((log_dir + "/QUEUE").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  struct flock shared = {};
  shared.l_type = F_RDLCK;
  shared.l_whence = SEEK_SET;
  shared.l_start = q::kSlotCount + 9;
  shared.l_len = 1;
  REQUIRE(fcntl(fd, F_OFD_SETLK, &shared) == 0);
  REQUIRE(AppendOne(*log, "second").code == 0);
  close(fd);
  CHECK(StateOf(*queue, 9) == 1);  // left alone
  std::vector<std::string> payloads;
  for (auto& [offset, payload] : ReadAll(log_dir)) payloads.push_back(payload);
  CHECK(payloads == std::vector<std::string>{"first", "second"});
}

}  // namespace
}  // namespace eventlog
