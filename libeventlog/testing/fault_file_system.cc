#include "fault_file_system.h"

#include <chrono>
#include <cstring>
#include <shared_mutex>
#include <thread>

namespace eventlog::testing {

struct FaultFileSystem::Node {
  std::string data;
  std::string durable;
};

struct FaultFileSystem::State {
  mutable std::mutex mu;
  std::map<std::string, std::shared_ptr<Node>> live;     // path -> file as the process sees it
  std::map<std::string, std::shared_ptr<Node>> durable;  // path -> file after a power loss
  std::set<std::string> dirs;
  std::map<std::string, std::shared_ptr<std::shared_mutex>> locks;  // Lock() does not create the file
  std::map<FaultOp, int> fail_after;  // op -> how many more of that kind succeed first
  std::map<FaultOp, int> counts;      // operations so far, per kind
  std::optional<size_t> short_write;
  int crash_countdown = -1;  // -1: off
  bool crashed = false;
  int mutations = 0;

  // Called at the start of each operation; returns an error if a fault applies.
  Status Gate(FaultOp op, bool mutating) {
    if (crashed) return Status::IOError("simulated crash: the process is dead");
    ++counts[op];
    auto fault = fail_after.find(op);
    if (fault != fail_after.end() && fault->second-- == 0) {
      fail_after.erase(fault);
      return Status::IOError("injected fault: input/output error");
    }
    if (mutating) {
      ++mutations;
      if (crash_countdown >= 0 && crash_countdown-- == 0) {
        crashed = true;
        return Status::IOError("simulated crash: the process is dead");
      }
    }
    return Status::Ok();
  }
};

namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

class Snapshot final : public MappedRegion {
 public:
  explicit Snapshot(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string_view bytes() const override { return bytes_; }

 private:
  std::string bytes_;
};

class MemFile final : public File {
 public:
  MemFile(std::shared_ptr<FaultFileSystem::State> state, std::shared_ptr<FaultFileSystem::Node> node, bool writable)
      : state_(std::move(state)), node_(std::move(node)), writable_(writable) {}

  Status Write(uint64_t offset, std::string_view data) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!writable_) return Status::IOError("write to a read-only file");
    EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kWrite, true));
    size_t n = data.size();
    bool cut = state_->short_write.has_value();
    if (cut) n = std::min(n, *state_->short_write);
    state_->short_write.reset();
    if (node_->data.size() < offset + n) node_->data.resize(offset + n, '\0');
    std::memcpy(node_->data.data() + offset, data.data(), n);
    if (cut) return Status::IOError("injected fault: short write");
    return Status::Ok();
  }

  Result<size_t> Read(uint64_t offset, std::span<char> out) const override {
    std::lock_guard<std::mutex> lock(state_->mu);
    EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kWrite, false));
    if (offset >= node_->data.size()) return size_t{0};
    size_t n = std::min<size_t>(out.size(), node_->data.size() - offset);
    std::memcpy(out.data(), node_->data.data() + offset, n);
    return n;
  }

  Status Sync() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kSync, true));
    node_->durable = node_->data;
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kTruncate, true));
    node_->data.resize(size);
    return Status::Ok();
  }

  Result<uint64_t> Size() const override {
    std::lock_guard<std::mutex> lock(state_->mu);
    return static_cast<uint64_t>(node_->data.size());
  }

  Result<std::unique_ptr<MappedRegion>> Map(uint64_t length) const override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (length > node_->data.size()) return Status::IOError("map beyond the end of the file");
    return std::unique_ptr<MappedRegion>(new Snapshot(node_->data.substr(0, length)));
  }

 private:
  std::shared_ptr<FaultFileSystem::State> state_;
  std::shared_ptr<FaultFileSystem::Node> node_;
  bool writable_;
};

// Models flock: one exclusive holder or any number of shared ones.
class MemLock final : public FileLock {
 public:
  MemLock(std::shared_ptr<std::shared_mutex> mu, bool shared) : mu_(std::move(mu)), shared_(shared) {}
  ~MemLock() override { shared_ ? mu_->unlock_shared() : mu_->unlock(); }

 private:
  std::shared_ptr<std::shared_mutex> mu_;
  bool shared_;
};

class SleepWatch final : public FileWatch {
 public:
  Status Wait(int timeout_ms) override {
    int ms = timeout_ms < 0 ? 5 : std::min(timeout_ms, 5);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return Status::Ok();
  }
};

}  // namespace

FaultFileSystem::FaultFileSystem() : state_(std::make_shared<State>()) {}
FaultFileSystem::~FaultFileSystem() = default;

Result<std::unique_ptr<File>> FaultFileSystem::Open(const std::string& path, OpenMode mode) {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->live.find(path);
  bool create = mode == OpenMode::kCreateExclusive || (mode == OpenMode::kCreateOrOpen && it == state_->live.end());
  if (mode == OpenMode::kCreateExclusive && it != state_->live.end()) return Status::IOError(path + ": file exists");
  if (create) {
    EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kCreate, true));
    if (!state_->dirs.count(Parent(path))) return Status::NotFound(path + ": no such directory");
    it = state_->live.emplace(path, std::make_shared<Node>()).first;
  } else {
    EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kCreate, false));
    if (it == state_->live.end()) return Status::NotFound(path + ": no such file");
  }
  return std::unique_ptr<File>(new MemFile(state_, it->second, mode != OpenMode::kReadOnly));
}

Status FaultFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(state_->mu);
  EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kRename, true));
  auto it = state_->live.find(from);
  if (it == state_->live.end()) return Status::NotFound(from + ": no such file");
  state_->live[to] = it->second;
  state_->live.erase(from);
  return Status::Ok();
}

Status FaultFileSystem::Remove(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kRemove, true));
  if (state_->live.erase(path) == 0) return Status::NotFound(path + ": no such file");
  return Status::Ok();
}

Status FaultFileSystem::CreateDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kCreate, true));
  state_->dirs.insert(path);  // directories themselves are modelled as always durable
  return Status::Ok();
}

Status FaultFileSystem::SyncDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kSyncDir, true));
  for (auto it = state_->durable.begin(); it != state_->durable.end();) {
    it = Parent(it->first) == path ? state_->durable.erase(it) : std::next(it);
  }
  for (const auto& [p, node] : state_->live) {
    if (Parent(p) == path) state_->durable[p] = node;
  }
  return Status::Ok();
}

Result<std::vector<std::string>> FaultFileSystem::ListDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kCreate, false));
  if (!state_->dirs.count(path)) return Status::NotFound(path + ": no such directory");
  std::vector<std::string> names;
  for (const auto& [p, node] : state_->live) {
    if (Parent(p) == path) names.push_back(p.substr(path.size() + 1));
  }
  return names;
}

Result<bool> FaultFileSystem::Exists(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kCreate, false));
  return state_->live.count(path) > 0 || state_->dirs.count(path) > 0;
}

std::shared_ptr<std::shared_mutex> FaultFileSystem::LockSlot(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto& slot = state_->locks[path];
  if (!slot) slot = std::make_shared<std::shared_mutex>();
  return slot;
}

Result<std::unique_ptr<FileLock>> FaultFileSystem::Lock(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kCreate, false));
  }
  std::shared_ptr<std::shared_mutex> mu = LockSlot(path);
  mu->lock();
  return std::unique_ptr<FileLock>(new MemLock(mu, /*shared=*/false));
}

Result<std::unique_ptr<FileLock>> FaultFileSystem::TryLock(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kCreate, false));
  }
  std::shared_ptr<std::shared_mutex> mu = LockSlot(path);
  if (!mu->try_lock()) return std::unique_ptr<FileLock>();
  return std::unique_ptr<FileLock>(new MemLock(mu, /*shared=*/false));
}

std::string FaultFileSystem::LockHolder(const std::string&) { return "another thread of this process"; }

Result<std::unique_ptr<FileLock>> FaultFileSystem::TryLockShared(const std::string& path) {
  std::shared_ptr<std::shared_mutex> mu = LockSlot(path);
  if (!mu->try_lock_shared()) return std::unique_ptr<FileLock>();
  return std::unique_ptr<FileLock>(new MemLock(mu, /*shared=*/true));
}

Result<std::unique_ptr<FileWatch>> FaultFileSystem::Watch(const std::string&) {
  return std::unique_ptr<FileWatch>(new SleepWatch());
}

void FaultFileSystem::FailNext(FaultOp op, int skip) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fail_after[op] = skip;
}

int FaultFileSystem::operations(FaultOp op) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->counts.find(op);
  return it == state_->counts.end() ? 0 : it->second;
}

void FaultFileSystem::SimulateProcessCrash() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fail_after.clear();
  state_->short_write.reset();
  state_->crash_countdown = -1;
  state_->crashed = false;
}

void FaultFileSystem::ShortWriteNext(size_t bytes) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->short_write = bytes;
}

void FaultFileSystem::CrashAfter(int mutating_operations) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->crash_countdown = mutating_operations;
}

int FaultFileSystem::mutating_operations() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->mutations;
}

void FaultFileSystem::SimulatePowerLoss() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->live = state_->durable;
  for (auto& [p, node] : state_->live) node->data = node->durable;
  state_->fail_after.clear();
  state_->short_write.reset();
  state_->crash_countdown = -1;
  state_->crashed = false;
}

std::optional<std::string> FaultFileSystem::Contents(const std::string& path) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->live.find(path);
  if (it == state_->live.end()) return std::nullopt;
  return it->second->data;
}

void FaultFileSystem::SetContents(const std::string& path, const std::string& data) {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto& node = state_->live[path];
  if (!node) node = std::make_shared<Node>();
  node->data = node->durable = data;
  state_->durable[path] = node;
}

}  // namespace eventlog::testing
