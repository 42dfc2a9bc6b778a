#include "fault_file_system.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <shared_mutex>
#include <thread>

namespace eventlog::testing {

struct FaultFileSystem::Node {
  std::string data;
  std::string durable;
  uint64_t low_water = 0;  // the shortest the file was since its last sync (truncations)

  void MakeDurable() {
    durable = data;
    low_water = data.size();
  }
};

// An unsynced change to a directory, replayed in order by a modelled power loss.
struct DirOp {
  std::string unlink;  // the path removed (or renamed away), if any
  std::string link;    // the path created (or renamed to), if any
  std::shared_ptr<FaultFileSystem::Node> node;
};

struct FaultFileSystem::State {
  mutable std::mutex mu;
  std::map<std::string, std::shared_ptr<Node>> live;     // path -> file as the process sees it
  std::map<std::string, std::shared_ptr<Node>> durable;  // path -> file after a power loss
  std::map<std::string, std::vector<DirOp>> pending;     // dir -> changes since its last SyncDir
  std::set<std::string> dirs;
  std::map<std::string, std::shared_ptr<std::shared_mutex>> locks;  // Lock() does not create the file
  std::map<FaultOp, std::pair<int, Fault>> fail_after;  // op -> (how many more succeed first, fault)
  std::optional<std::pair<int, Fault>> fail_mutation;   // the same for any mutating operation
  std::map<FaultOp, int> counts;      // operations so far, per kind
  std::vector<FaultOp> mutation_kinds;
  std::optional<size_t> short_write;
  std::optional<TornWrites> model;
  PowerLossModel model_options;
  PowerLossReport last_power_loss;
  int crash_countdown = -1;  // -1: off
  size_t torn_crash_bytes = 0;  // of the Write a crash lands on, stored before dying
  bool crashed = false;

  static Status Injected(Fault fault) {
    return Status::IOError(fault == Fault::kNoSpace ? "injected fault: no space left on device"
                                                    : "injected fault: input/output error");
  }

  // Called at the start of each operation; returns an error if a fault applies. For a
  // Write, *write_bytes comes in as its size and goes out as how many of its bytes to store:
  // all of them, none for a failure, or a prefix for a short write or a torn crash.
  Status Gate(FaultOp op, bool mutating, size_t* write_bytes = nullptr) {
    size_t ignored = 0;
    size_t& store = write_bytes != nullptr ? *write_bytes : ignored;
    const size_t size = store;
    store = 0;
    if (crashed) return Status::IOError("simulated crash: the process is dead");
    ++counts[op];
    std::optional<Fault> fault;
    auto armed = fail_after.find(op);
    if (armed != fail_after.end() && armed->second.first-- == 0) {
      fault = armed->second.second;
      fail_after.erase(armed);
    }
    if (mutating && !fault) {
      mutation_kinds.push_back(op);
      if (model && model->Chance(model_options.writeback)) WriteBackOneFile();
      if (crash_countdown >= 0 && crash_countdown-- == 0) {
        crashed = true;
        store = std::min(size, torn_crash_bytes);
        return Status::IOError("simulated crash: the process is dead");
      }
      if (fail_mutation && fail_mutation->first-- == 0) {
        fault = fail_mutation->second;
        fail_mutation.reset();
      }
    }
    if (!fault) {
      store = size;
      return Status::Ok();
    }
    if (*fault == Fault::kShortWrite && write_bytes != nullptr) {
      store = size / 2;
      return Status::IOError("injected fault: short write");
    }
    return Injected(*fault);
  }

  void WriteBackOneFile() {
    if (live.empty()) return;
    auto it = std::next(live.begin(), static_cast<std::ptrdiff_t>(model->Below(live.size())));
    it->second->MakeDurable();
  }

  void ClearFaults() {
    fail_after.clear();
    fail_mutation.reset();
    short_write.reset();
    crash_countdown = -1;
    crashed = false;
  }

  void RecordDirOp(const std::string& dir, DirOp op) { pending[dir].push_back(std::move(op)); }
  PowerLossReport ModelledPowerLoss();
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
    size_t n = data.size();
    Status status = state_->Gate(FaultOp::kWrite, true, &n);
    if (status.ok() && state_->short_write) {
      n = std::min(n, *state_->short_write);
      status = Status::IOError("injected fault: short write");
      state_->short_write.reset();
    }
    if (n == 0) return status;
    if (node_->data.size() < offset + n) node_->data.resize(offset + n, '\0');
    std::memcpy(node_->data.data() + offset, data.data(), n);
    return status;
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
    node_->MakeDurable();
    return Status::Ok();
  }

  Status StartWriteback(uint64_t, uint64_t) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->Gate(FaultOp::kWriteback, false);
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kTruncate, true));
    node_->data.resize(size);
    node_->low_water = std::min<uint64_t>(node_->low_water, size);
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
    state_->RecordDirOp(Parent(path), {"", path, it->second});
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
  std::shared_ptr<Node> node = it->second;
  state_->live[to] = node;
  state_->live.erase(from);
  // Within one directory a rename is one atomic change; across two, one change in each.
  if (Parent(from) == Parent(to)) {
    state_->RecordDirOp(Parent(to), {from, to, node});
  } else {
    state_->RecordDirOp(Parent(from), {from, "", nullptr});
    state_->RecordDirOp(Parent(to), {"", to, node});
  }
  return Status::Ok();
}

Status FaultFileSystem::Remove(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  EVLOG_RETURN_IF_ERROR(state_->Gate(FaultOp::kRemove, true));
  if (state_->live.erase(path) == 0) return Status::NotFound(path + ": no such file");
  state_->RecordDirOp(Parent(path), {path, "", nullptr});
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
  state_->pending.erase(path);
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

void FaultFileSystem::FailNext(FaultOp op, int skip, Fault fault) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fail_after[op] = {skip, fault};
}

void FaultFileSystem::FailMutation(int skip, Fault fault) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fail_mutation = {skip, fault};
}

std::vector<FaultOp> FaultFileSystem::mutation_kinds() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->mutation_kinds;
}

int FaultFileSystem::operations(FaultOp op) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->counts.find(op);
  return it == state_->counts.end() ? 0 : it->second;
}

void FaultFileSystem::SimulateProcessCrash() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->ClearFaults();
}

void FaultFileSystem::ShortWriteNext(size_t bytes) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->short_write = bytes;
}

void FaultFileSystem::CrashAfter(int mutating_operations, size_t torn_write_bytes) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->crash_countdown = mutating_operations;
  state_->torn_crash_bytes = torn_write_bytes;
}

int FaultFileSystem::mutating_operations() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return static_cast<int>(state_->mutation_kinds.size());
}

void FaultFileSystem::SetPowerLossModel(const PowerLossModel& model) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->model.emplace(model);
  state_->model_options = model;
}

void FaultFileSystem::SimulatePowerLoss() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->last_power_loss = {};
  if (state_->model) {
    state_->last_power_loss = state_->ModelledPowerLoss();
  } else {
    state_->live = state_->durable;
    for (auto& [p, node] : state_->live) node->data = node->durable;
  }
  for (auto& [p, node] : state_->live) node->MakeDurable();
  state_->pending.clear();
  state_->ClearFaults();
}

PowerLossReport FaultFileSystem::last_power_loss() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->last_power_loss;
}

bool FaultFileSystem::crashed() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->crashed;
}

void FaultFileSystem::ClearFaults() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->ClearFaults();
}

// Each directory keeps a random prefix of its unsynced changes, in order; then each file
// that survives keeps what TornWrites decides of its unsynced bytes.
PowerLossReport FaultFileSystem::State::ModelledPowerLoss() {
  PowerLossReport report;
  for (const auto& [dir, ops] : pending) {
    const uint64_t kept = model->Below(ops.size() + 1);
    for (uint64_t i = 0; i < kept; ++i) {
      if (!ops[i].unlink.empty()) durable.erase(ops[i].unlink);
      if (!ops[i].link.empty()) durable[ops[i].link] = ops[i].node;
    }
    report.entries_kept += kept;
    report.entries_undone += ops.size() - kept;
  }
  live = durable;
  std::set<Node*> done;  // a file may have two names after a cross-directory rename
  for (auto& [path, node] : live) {
    if (!done.insert(node.get()).second) continue;
    TornWriteStats stats;
    node->data = model->AfterPowerLoss(node->durable, node->data, node->low_water, &stats);
    report.sectors.kept += stats.kept;
    report.sectors.dropped += stats.dropped;
    report.sectors.garbled += stats.garbled;
    if (stats.out_of_order) report.out_of_order_files.push_back(path);
  }
  report.sectors.out_of_order = !report.out_of_order_files.empty();
  return report;
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
  node->data = data;
  node->MakeDurable();
  state_->durable[path] = node;
  // Durable as written: no older unsynced change to its entry may replay over it.
  for (DirOp& op : state_->pending[Parent(path)]) {
    if (op.unlink == path) op.unlink.clear();
    if (op.link == path) op.link.clear();
  }
}

}  // namespace eventlog::testing
