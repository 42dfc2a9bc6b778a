// Consumer-group positions in LMDB (format-spec §11). This is the only file that includes
// <lmdb.h>; LMDB's return codes are mapped to Status here.
//
// LMDB does its own file I/O, so the group store does not go through the FileSystem seam:
// it lives in a real directory, LOG/groups/. Its durability is LMDB's: a committed write
// transaction is on disk when mdb_txn_commit returns (no MDB_NOSYNC, no MDB_WRITEMAP). Its
// creation is ours: data.mdb is built aside and linked into place (CreateGroupStoreData).
#include "eventlog/consumer_groups.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <lmdb.h>

#include "batch_digest.h"
#include "batch_impl.h"
#include "coding.h"
#include "group_store_files.h"
#include "group_store_pages.h"
#include "log_impl.h"

namespace eventlog {
namespace {

constexpr size_t kInitialMapBytes = 16u << 20;
constexpr unsigned kMaxReaders = 254;
constexpr uint32_t kValueVersion = 1;
constexpr size_t kValueSize = 20;  // u32 version, u64 position, i64 updated_ns
constexpr int kAttempts = 8;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ParentDirectory(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

MDB_val Val(std::string_view s) { return {s.size(), const_cast<char*>(s.data())}; }

// One MDB_env per directory and process: LMDB forbids opening an environment twice in one
// process (closing the second copy would drop the first one's locks).
class Environment {
 public:
  MDB_env* env = nullptr;
  MDB_dbi groups = 0;
  MDB_dbi meta = 0;
  std::mutex mu;  // serialises this process's transactions, so the map can be resized
  std::string path;
  ~Environment() {
    if (env != nullptr) mdb_env_close(env);
  }
};

// LMDB's own findings of damage (and ours: a group value that does not decode returns
// MDB_CORRUPTED) are corruption, exit 4; the rest are I/O errors.
Status LmdbError(const std::string& path, const char* what, int rc) {
  const std::string message = fmt::format("{}: {}: {}", path, what, mdb_strerror(rc));
  if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID) return Status::Corruption(message);
  return Status::IOError(message);
}

// Checks data.mdb's trees (group_store_pages.h) before any LMDB call reads a page of them:
// beginning a read transaction reads only the meta pages, and holding it while the check
// runs keeps other processes' commits from reusing the pages the check reads.
Status CheckTreesWhilePinned(const Environment& e) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn);
  if (rc == MDB_MAP_RESIZED) {
    mdb_env_set_mapsize(e.env, 0);  // adopt the size another process chose
    rc = mdb_txn_begin(e.env, nullptr, MDB_RDONLY, &txn);
  }
  if (rc != 0) return LmdbError(e.path, "check", rc);
  Status status = CheckGroupStorePages(e.path + "/data.mdb");
  mdb_txn_abort(txn);
  return status;
}

// Builds a complete store in the empty directory `dir`: both named databases and the log_id
// record, committed, so that a data.mdb linked into groups/ is never one "not initialised
// yet" (CreateGroupStoreData). MDB_NOLOCK: no other process knows `dir`.
Status InitialiseStore(const std::string& dir, const std::string& log_id) {
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  MDB_dbi groups = 0, meta = 0;
  MDB_val key = Val("log_id"), id = Val(log_id);
  int rc = mdb_env_create(&env);
  if (rc == 0) rc = mdb_env_set_maxdbs(env, 2);
  if (rc == 0) rc = mdb_env_open(env, dir.c_str(), MDB_NOLOCK, 0644);
  if (rc == 0) rc = mdb_txn_begin(env, nullptr, 0, &txn);
  if (rc == 0) rc = mdb_dbi_open(txn, "groups", MDB_CREATE, &groups);
  if (rc == 0) rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &meta);
  if (rc == 0) rc = mdb_put(txn, meta, &key, &id, 0);
  if (rc == 0) {
    rc = mdb_txn_commit(txn);  // frees the transaction, committed or not
  } else if (txn != nullptr) {
    mdb_txn_abort(txn);
  }
  if (env != nullptr) mdb_env_close(env);
  return rc == 0 ? Status::Ok() : LmdbError(dir, "create", rc);
}

Result<bool> DataFileExists(const std::string& store_dir) {
  struct stat st;
  if (lstat((store_dir + "/data.mdb").c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return Status::IOError(fmt::format("{}/data.mdb: {}", store_dir, std::strerror(errno)));
}

Result<std::shared_ptr<Environment>> OpenEnvironment(const std::string& path, const std::string& log_id) {
  static std::mutex registry_mu;
  static std::map<std::string, std::weak_ptr<Environment>> registry;
  std::lock_guard<std::mutex> lock(registry_mu);
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::IOError(fmt::format("create directory {}: {}", path, std::strerror(errno)));
  }
  // Keyed by the canonical path: "log/groups" and "./log/groups" are one environment.
  char* canonical = realpath(path.c_str(), nullptr);
  const std::string registry_key = canonical != nullptr ? canonical : path;
  std::free(canonical);
  if (auto existing = registry[registry_key].lock()) return existing;

  EVLOG_RETURN_IF_ERROR(CheckGroupStoreFiles(path));  // before LMDB opens and maps it
  EVLOG_ASSIGN_OR_RETURN(bool exists, DataFileExists(path));
  // Never left to mdb_env_open, which creates data.mdb empty and fills it later: a crash in
  // between would leave a file that cannot be told from a truncated store.
  if (!exists) {
    auto initialise = [&](const std::string& build_dir) { return InitialiseStore(build_dir, log_id); };
    EVLOG_RETURN_IF_ERROR(CreateGroupStoreData(path, initialise));
  }
  RemoveAbandonedBuildDirectories(path);
  // A new directory entry (groups/ in the log, data.mdb in groups/) is durable only once its
  // directory is synced. Both are synced by every writer that opens the store, not only by
  // the process that made them: one that died between its mkdir or link and its sync left
  // entries nobody else would sync, and positions acknowledged on top of them could vanish
  // with them in a power loss. Once per process and store (the registry keeps it open).
  EVLOG_RETURN_IF_ERROR(SyncDirectory(ParentDirectory(path)));
  EVLOG_RETURN_IF_ERROR(SyncDirectory(path));
  auto e = std::make_shared<Environment>();
  e->path = path;
  int rc = mdb_env_create(&e->env);
  if (rc == 0) rc = mdb_env_set_maxdbs(e->env, 2);
  if (rc == 0) rc = mdb_env_set_maxreaders(e->env, kMaxReaders);
  if (rc == 0) rc = mdb_env_set_mapsize(e->env, kInitialMapBytes);
  // MDB_NOTLS: reader slots belong to transactions, not threads (our read transactions may
  // run on any thread). Default sync flags: a commit is durable when it returns.
  if (rc == 0) rc = mdb_env_open(e->env, path.c_str(), MDB_NOTLS, 0644);
  if (rc != 0) return LmdbError(path, "open", rc);
  // LMDB 0.9 opens data.mdb without O_CLOEXEC (its lock and meta descriptors have it):
  // every program a caller forks and execs would inherit a writable descriptor of the store.
  mdb_filehandle_t data_fd;
  if (mdb_env_get_fd(e->env, &data_fd) == 0) fcntl(data_fd, F_SETFD, fcntl(data_fd, F_GETFD) | FD_CLOEXEC);
  int dead = 0;
  mdb_reader_check(e->env, &dead);  // slots of processes killed inside a read transaction
  EVLOG_RETURN_IF_ERROR(CheckTreesWhilePinned(*e));

  // A store CreateGroupStoreData made changes nothing here (LMDB commits a transaction that
  // wrote nothing without a write). One an older evlog created may lack the databases or the
  // log_id record, if it died before its first commit.
  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(e->env, nullptr, 0, &txn);
  if (rc == 0) rc = mdb_dbi_open(txn, "groups", MDB_CREATE, &e->groups);
  if (rc == 0) rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &e->meta);
  MDB_val key = Val("log_id"), value;
  if (rc == 0) {
    rc = mdb_get(txn, e->meta, &key, &value);
    if (rc == MDB_NOTFOUND) {
      MDB_val id = Val(log_id);
      rc = mdb_put(txn, e->meta, &key, &id, 0);
    } else if (rc == 0 && std::string_view(static_cast<char*>(value.mv_data), value.mv_size) != log_id) {
      mdb_txn_abort(txn);
      return Status::Corruption(path + ": the consumer groups belong to a different log (log id differs from META)");
    }
  }
  if (rc == 0) {
    rc = mdb_txn_commit(txn);
  } else if (txn != nullptr) {
    mdb_txn_abort(txn);
  }
  if (rc != 0) return LmdbError(path, "initialise", rc);
  // lock.mdb's entry is not synced: LMDB rebuilds the lock file whenever it finds it missing.
  registry[registry_key] = e;
  return e;
}

std::string EncodeValue(uint64_t position, int64_t updated_ns) {
  std::string v(kValueSize, '\0');
  PutFixed32(v.data(), kValueVersion);
  PutFixed64(v.data() + 4, position);
  PutFixed64(v.data() + 12, static_cast<uint64_t>(updated_ns));
  return v;
}

// The record AppendWithPositions() leaves in the meta database between recording the
// positions and applying them (format-spec §11.1).
constexpr char kPendingKey[] = "pending_positions";
constexpr uint32_t kPendingVersion = 1;
constexpr size_t kPendingFixedSize = 32;  // u32 version, u64 first, u64 end, u64 digest, u32 count

struct PendingPositions {
  BatchDigest batch;
  std::vector<GroupInfo> groups;
};

std::string EncodePending(const PendingPositions& p) {
  std::string out(kPendingFixedSize, '\0');
  PutFixed32(out.data(), kPendingVersion);
  PutFixed64(out.data() + 4, p.batch.first_offset);
  PutFixed64(out.data() + 12, p.batch.end_offset);
  PutFixed64(out.data() + 20, p.batch.digest);
  PutFixed32(out.data() + 28, static_cast<uint32_t>(p.groups.size()));
  for (const GroupInfo& g : p.groups) {
    char fixed[8];
    PutFixed16(fixed, static_cast<uint16_t>(g.name.size()));
    out.append(fixed, 2);
    out += g.name;
    PutFixed64(fixed, g.position);
    out.append(fixed, 8);
  }
  return out;
}

// Every length is checked against the value's size: a damaged store gives kCorruption.
bool DecodePending(std::string_view v, PendingPositions* p) {
  if (v.size() < kPendingFixedSize || GetFixed32(v.data()) != kPendingVersion) return false;
  p->batch.first_offset = GetFixed64(v.data() + 4);
  p->batch.end_offset = GetFixed64(v.data() + 12);
  p->batch.digest = GetFixed64(v.data() + 20);
  uint32_t count = GetFixed32(v.data() + 28);
  v.remove_prefix(kPendingFixedSize);
  p->groups.clear();
  for (uint32_t i = 0; i < count; ++i) {
    if (v.size() < 2) return false;
    const size_t name_size = GetFixed16(v.data());
    if (name_size == 0 || name_size > 255 || v.size() < 2 + name_size + 8) return false;
    GroupInfo g;
    g.name = std::string(v.substr(2, name_size));
    g.position = GetFixed64(v.data() + 2 + name_size);
    p->groups.push_back(std::move(g));
    v.remove_prefix(2 + name_size + 8);
  }
  return v.empty() && p->batch.first_offset < p->batch.end_offset;
}

// Whether `log` holds the batch a pending record describes: the record's positions then
// apply (format-spec §11.1).
Result<bool> PendingBatchIsInLog(const Log& log, const PendingPositions& pending, const LogInfo& info) {
  if (info.next_offset < pending.batch.end_offset) return false;
  EVLOG_ASSIGN_OR_RETURN(uint64_t digest, DigestLogRange(log, pending.batch.first_offset, pending.batch.end_offset));
  return digest == pending.batch.digest;
}

Result<GroupInfo> DecodeGroup(std::string_view name, std::string_view value, const std::string& path) {
  if (value.size() != kValueSize || GetFixed32(value.data()) != kValueVersion) {
    return GroupStoreDamaged(path + "/data.mdb", fmt::format("the value of group '{}' does not decode", name));
  }
  return GroupInfo{std::string(name), GetFixed64(value.data() + 4), static_cast<int64_t>(GetFixed64(value.data() + 12))};
}

// The groups of the store at `path`, read from its files without LMDB (ReadGroupStoreRecords),
// so that nothing is created or written, not even lock.mdb: a command that only reads the log
// leaves it as it was, and works where its user may only read it. A pending record is
// settled in memory only, as SettlePending would settle it; the next writer settles it on disk.
Result<std::vector<GroupInfo>> ListWithoutWriting(const Log& log, const std::string& path) {
  EVLOG_RETURN_IF_ERROR(CheckGroupStoreFiles(path));  // an empty data.mdb is damage
  EVLOG_ASSIGN_OR_RETURN(bool exists, DataFileExists(path));
  if (!exists) return std::vector<GroupInfo>();  // no group was ever stored
  const std::string data_path = path + "/data.mdb";
  EVLOG_ASSIGN_OR_RETURN(std::vector<GroupStoreRecord> records, ReadGroupStoreRecords(data_path));
  std::map<std::string, GroupInfo> groups;
  std::optional<std::string> pending_bytes;
  for (const GroupStoreRecord& r : records) {
    if (r.database == "groups") {
      EVLOG_ASSIGN_OR_RETURN(groups[r.key], DecodeGroup(r.key, r.value, path));
    } else if (r.database == "meta" && r.key == "log_id" && r.value != log.log_id()) {
      return Status::Corruption(path + ": the consumer groups belong to a different log (log id differs from META)");
    } else if (r.database == "meta" && r.key == kPendingKey) {
      pending_bytes = r.value;
    }
  }
  if (pending_bytes) {
    PendingPositions pending;
    if (!DecodePending(*pending_bytes, &pending)) {
      return Status::Corruption(data_path + ": the pending group positions record is damaged");
    }
    EVLOG_ASSIGN_OR_RETURN(LogInfo info, log.Info());
    EVLOG_ASSIGN_OR_RETURN(bool committed, PendingBatchIsInLog(log, pending, info));
    for (const GroupInfo& g : committed ? pending.groups : std::vector<GroupInfo>()) {
      GroupInfo& shown = groups[g.name];
      shown.name = g.name;
      shown.position = std::min(g.position, info.next_offset);
    }
  }
  std::vector<GroupInfo> list;
  for (auto& [name, group] : groups) list.push_back(std::move(group));
  return list;
}

}  // namespace

class ConsumerGroups::Impl {
 public:
  Impl(const Log& log, std::shared_ptr<Environment> env) : log_(log), env_(std::move(env)) {}

  // Runs `body` in a transaction, retrying on the conditions LMDB asks callers to handle:
  // another process grew the map (MDB_MAP_RESIZED), the map is full (grow it), the reader
  // table is full of dead processes' slots (MDB_READERS_FULL).
  Status Transact(bool write, const std::function<int(MDB_txn*)>& body) {
    std::lock_guard<std::mutex> lock(env_->mu);
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      MDB_txn* txn = nullptr;
      int rc = mdb_txn_begin(env_->env, nullptr, write ? 0 : MDB_RDONLY, &txn);
      if (rc == 0) {
        rc = body(txn);
        if (rc == 0 && write) {
          rc = mdb_txn_commit(txn);
        } else {
          mdb_txn_abort(txn);
        }
      }
      if (rc == 0) return Status::Ok();
      if (rc == MDB_MAP_RESIZED) {
        mdb_env_set_mapsize(env_->env, 0);  // adopt the size another process chose
      } else if (rc == MDB_MAP_FULL) {
        MDB_envinfo info;
        mdb_env_info(env_->env, &info);
        mdb_env_set_mapsize(env_->env, info.me_mapsize * 2);
      } else if (rc == MDB_READERS_FULL) {
        int dead = 0;
        mdb_reader_check(env_->env, &dead);
      } else {
        return LmdbError(env_->path, write ? "write" : "read", rc);
      }
    }
    return Status::Busy(env_->path + ": the group store stayed busy or full after several attempts");
  }

  // Reads a group inside `txn`; position falls back to `first_offset` for a new group.
  int ReadGroup(MDB_txn* txn, std::string_view name, uint64_t first_offset, GroupInfo* out, bool* exists) {
    MDB_val key = Val(name), value;
    out->name = std::string(name);
    out->position = first_offset;
    out->updated_ns = 0;
    int rc = mdb_get(txn, env_->groups, &key, &value);
    *exists = rc == 0;
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return rc;
    const char* p = static_cast<const char*>(value.mv_data);
    if (value.mv_size != kValueSize || GetFixed32(p) != kValueVersion) return MDB_CORRUPTED;
    out->position = GetFixed64(p + 4);
    out->updated_ns = static_cast<int64_t>(GetFixed64(p + 12));
    return 0;
  }

  int WriteGroup(MDB_txn* txn, GroupInfo* g, uint64_t position) {
    g->position = position;
    g->updated_ns = NowNs();
    std::string encoded = EncodeValue(g->position, g->updated_ns);
    MDB_val key = Val(g->name), value = Val(encoded);
    return mdb_put(txn, env_->groups, &key, &value, 0);
  }

  // Reads the pending record, if any, into *bytes.
  int ReadPending(MDB_txn* txn, std::string* bytes, bool* found) {
    MDB_val key = Val(kPendingKey), value;
    int rc = mdb_get(txn, env_->meta, &key, &value);
    *found = rc == 0;
    if (rc == MDB_NOTFOUND) return 0;
    if (rc == 0) bytes->assign(static_cast<const char*>(value.mv_data), value.mv_size);
    return rc;
  }

  // Deletes the pending record inside `txn` if it is still `expected` (another process may
  // have settled it, or recorded its own, since `expected` was read).
  int DeletePendingIf(MDB_txn* txn, const std::string& expected) {
    std::string now;
    bool found = false;
    int rc = ReadPending(txn, &now, &found);
    if (rc != 0 || !found || now != expected) return rc;
    MDB_val key = Val(kPendingKey);
    return mdb_del(txn, env_->meta, &key, nullptr);
  }

  // Writes each position, clamped to `next_offset`, inside `txn`.
  int WritePositions(MDB_txn* txn, std::span<const GroupInfo> groups, uint64_t first_offset, uint64_t next_offset) {
    for (const GroupInfo& given : groups) {
      GroupInfo g;
      bool exists;
      int rc = ReadGroup(txn, given.name, first_offset, &g, &exists);
      if (rc == 0) rc = WriteGroup(txn, &g, std::min(given.position, next_offset));
      if (rc != 0) return rc;
    }
    return 0;
  }

  // A position read in a write transaction that lies past `info->next_offset` is either
  // stale (the log lost the events it covered) or newer than `info` (another process
  // appended and acked since `info` was read): the log, read again now, decides. The other
  // process's ack commits only after its append, and this transaction holds the write lock,
  // so a position it wrote is never past the end read here.
  bool PastTheEnd(const GroupInfo& g, LogInfo* info) {
    if (g.position <= info->next_offset) return false;
    Result<LogInfo> now = log_.Info();
    if (!now) return false;  // unknown: leave the position as it is
    *info = *now;
    return g.position > info->next_offset;
  }

  // Ack() and AckFrom(): `since`, if given, is where the caller knows the group stood.
  Result<GroupInfo> Ack(std::string_view group, std::optional<uint64_t> since, uint64_t offset) {
    EVLOG_ASSIGN_OR_RETURN(LogInfo info, log_.Info());
    if (offset >= info.next_offset) {
      return Status::InvalidArgument(fmt::format("cannot ack offset {}: the log's last event is {}", offset,
                                                 info.next_offset == 0 ? std::string("none (empty log)")
                                                                       : std::to_string(info.next_offset - 1)));
    }
    GroupInfo g;
    bool moved_back = false;
    EVLOG_RETURN_IF_ERROR(Transact(true, [&](MDB_txn* txn) {
      bool exists;
      int rc = ReadGroup(txn, group, info.first_offset, &g, &exists);
      if (rc != 0) return rc;
      const bool past_end = PastTheEnd(g, &info);
      if (past_end) g.position = info.next_offset;
      moved_back = since && (!exists || g.position < *since);
      if (moved_back) return 0;  // nothing written: the abort changes nothing
      if (offset + 1 <= g.position) {
        // Never backwards. But a position past the end is not kept, and a first ack creates
        // the group (at the log's first offset, when it acks an event removed before it).
        return past_end || !exists ? WriteGroup(txn, &g, g.position) : 0;
      }
      return WriteGroup(txn, &g, offset + 1);
    }));
    if (moved_back) {
      return Status::Conflict(fmt::format("group {} was moved back to offset {} (or deleted) by another program, from "
                                          "{} or later, while its events were being processed",
                                          group, g.position, *since));
    }
    return g;
  }

  // Settles a pending record left by an AppendWithPositions() that did not finish: the
  // positions are applied if the log holds the recorded batch, and dropped otherwise. The
  // decision reads the log outside any transaction; the write then happens only if the
  // record is still the one decided on, so concurrent settlers agree.
  Status SettlePending() {
    std::string bytes;
    bool found = false;
    EVLOG_RETURN_IF_ERROR(Transact(false, [&](MDB_txn* txn) { return ReadPending(txn, &bytes, &found); }));
    if (!found) return Status::Ok();
    PendingPositions pending;
    if (!DecodePending(bytes, &pending)) {
      return Status::Corruption(env_->path + "/data.mdb: the pending group positions record is damaged");
    }
    EVLOG_ASSIGN_OR_RETURN(LogInfo info, log_.Info());
    EVLOG_ASSIGN_OR_RETURN(bool committed, PendingBatchIsInLog(log_, pending, info));
    return Transact(true, [&](MDB_txn* txn) {
      std::string now;
      bool still = false;
      int rc = ReadPending(txn, &now, &still);
      if (rc != 0 || !still || now != bytes) return rc;
      if (committed) rc = WritePositions(txn, pending.groups, info.first_offset, info.next_offset);
      MDB_val key = Val(kPendingKey);
      return rc != 0 ? rc : mdb_del(txn, env_->meta, &key, nullptr);
    });
  }

  const Log& log_;
  std::shared_ptr<Environment> env_;
};

namespace {

Status CheckGroupName(std::string_view name) {
  if (name.empty() || name.size() > 255) {
    return Status::InvalidArgument("a group name must be 1 to 255 bytes long");
  }
  return Status::Ok();
}

}  // namespace

namespace {
std::string StorePath(const Log& log) { return log.dir() + "/groups"; }
}  // namespace

Result<std::unique_ptr<ConsumerGroups>> ConsumerGroups::Open(const Log& log) {
  EVLOG_ASSIGN_OR_RETURN(std::shared_ptr<Environment> env, OpenEnvironment(StorePath(log), log.log_id()));
  auto impl = std::make_unique<Impl>(log, std::move(env));
  EVLOG_RETURN_IF_ERROR(impl->SettlePending());
  return std::unique_ptr<ConsumerGroups>(new ConsumerGroups(std::move(impl)));
}

ConsumerGroups::ConsumerGroups(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConsumerGroups::~ConsumerGroups() = default;

Result<GroupInfo> ConsumerGroups::Get(std::string_view group) {
  EVLOG_RETURN_IF_ERROR(CheckGroupName(group));
  EVLOG_ASSIGN_OR_RETURN(LogInfo info, impl_->log_.Info());
  GroupInfo g;
  bool exists;
  EVLOG_RETURN_IF_ERROR(impl_->Transact(false, [&](MDB_txn* txn) {
    return impl_->ReadGroup(txn, group, info.first_offset, &g, &exists);
  }));
  return g;
}

Result<GroupJoin> ConsumerGroups::Join(std::string_view group, bool create) {
  EVLOG_RETURN_IF_ERROR(CheckGroupName(group));
  EVLOG_ASSIGN_OR_RETURN(LogInfo info, impl_->log_.Info());
  GroupJoin join;
  bool exists = false;
  EVLOG_RETURN_IF_ERROR(impl_->Transact(false, [&](MDB_txn* txn) {
    return impl_->ReadGroup(txn, group, info.first_offset, &join.group, &exists);
  }));
  if ((exists || !create) && join.group.position <= info.next_offset) return join;  // nothing to store
  // Stored under the log's lock. Compaction reads the groups and removes segments under it,
  // so either it sees this group, or it has removed what it removes before the first offset
  // is read here: never a group stored at an offset that is then removed under it.
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, impl_->log_.impl()->LockForMaintenance());
  EVLOG_ASSIGN_OR_RETURN(info, impl_->log_.Info());
  EVLOG_RETURN_IF_ERROR(impl_->Transact(true, [&](MDB_txn* txn) {
    join = GroupJoin{};
    int rc = impl_->ReadGroup(txn, group, info.first_offset, &join.group, &exists);
    if (rc != 0) return rc;
    if (impl_->PastTheEnd(join.group, &info)) {
      join.was_past_end = join.group.position;
      return impl_->WriteGroup(txn, &join.group, info.next_offset);
    }
    if (exists || !create) return 0;  // nothing written: the abort changes nothing
    join.created = true;
    return impl_->WriteGroup(txn, &join.group, join.group.position);
  }));
  return join;
}

Result<GroupInfo> ConsumerGroups::Ack(std::string_view group, uint64_t offset) {
  EVLOG_RETURN_IF_ERROR(CheckGroupName(group));
  return impl_->Ack(group, std::nullopt, offset);
}

Result<GroupInfo> ConsumerGroups::AckFrom(std::string_view group, uint64_t since, uint64_t offset) {
  EVLOG_RETURN_IF_ERROR(CheckGroupName(group));
  return impl_->Ack(group, since, offset);
}

Result<GroupInfo> ConsumerGroups::Reset(std::string_view group, uint64_t position, bool create) {
  EVLOG_RETURN_IF_ERROR(CheckGroupName(group));
  EVLOG_ASSIGN_OR_RETURN(LogInfo info, impl_->log_.Info());
  if (position > info.next_offset) {
    return Status::InvalidArgument(
        fmt::format("cannot reset to {}: past the log's end (next offset {})", position, info.next_offset));
  }
  GroupInfo g;
  bool exists = false;
  EVLOG_RETURN_IF_ERROR(impl_->Transact(true, [&](MDB_txn* txn) {
    int rc = impl_->ReadGroup(txn, group, info.first_offset, &g, &exists);
    if (rc != 0 || (!exists && !create)) return rc;  // nothing written: the abort changes nothing
    return impl_->WriteGroup(txn, &g, position);
  }));
  if (!exists && !create) return Status::NotFound(fmt::format("no group named '{}'", group));
  return g;
}

Status ConsumerGroups::ResetAll(std::span<const GroupInfo> groups) {
  EVLOG_ASSIGN_OR_RETURN(LogInfo info, impl_->log_.Info());
  for (const GroupInfo& g : groups) {
    EVLOG_RETURN_IF_ERROR(CheckGroupName(g.name));
    if (g.position > info.next_offset) {
      return Status::InvalidArgument(fmt::format("cannot reset group {} to {}: past the log's end (next offset {})",
                                                 g.name, g.position, info.next_offset));
    }
  }
  // Every position was checked against the next offset above: the clamp changes none.
  return impl_->Transact(true, [&](MDB_txn* txn) {
    return impl_->WritePositions(txn, groups, info.first_offset, info.next_offset);
  });
}

// The order is what makes it one unit: (1) the positions and the batch's digest are
// recorded, durably; (2) the batch is appended and synced; (3) the positions are written
// and the record deleted in one transaction. A crash after (1) leaves a record that the
// next Open() settles from the log's contents; a crash after (3) leaves nothing to do.
Result<AppendResult> ConsumerGroups::AppendWithPositions(Log& log, const Batch& batch,
                                                         std::span<const GroupInfo> groups) {
  if (&log != &impl_->log_) return Status::InvalidArgument("AppendWithPositions: the log is not this store's log");
  PendingPositions pending;
  for (const GroupInfo& g : groups) {
    EVLOG_RETURN_IF_ERROR(CheckGroupName(g.name));
    pending.groups.push_back({g.name, g.position, 0});
  }
  EVLOG_ASSIGN_OR_RETURN(pending.batch, DigestPresetBatch(batch.impl()));
  const std::string record = EncodePending(pending);
  EVLOG_RETURN_IF_ERROR(impl_->SettlePending());  // one left by a crash, before ours
  bool busy = false;
  EVLOG_RETURN_IF_ERROR(impl_->Transact(true, [&](MDB_txn* txn) {
    std::string other;
    int rc = impl_->ReadPending(txn, &other, &busy);
    if (rc != 0 || busy) return rc;
    MDB_val key = Val(kPendingKey), value = Val(record);
    return mdb_put(txn, impl_->env_->meta, &key, &value, 0);
  }));
  if (busy) return Status::Busy(impl_->env_->path + ": another append with group positions is in progress");

  Result<AppendResult> appended = log.Append(batch, {.sync = true, .expect_next = std::nullopt});
  if (!appended) {
    // The append may have failed before or after its commit point: the log decides, as it
    // would for a crash. If even that fails, the record stays for the next Open().
    (void)impl_->SettlePending();
    return appended;
  }
  EVLOG_ASSIGN_OR_RETURN(LogInfo info, log.Info());
  EVLOG_RETURN_IF_ERROR(impl_->Transact(true, [&](MDB_txn* txn) {
    int rc = impl_->WritePositions(txn, pending.groups, info.first_offset, info.next_offset);
    return rc != 0 ? rc : impl_->DeletePendingIf(txn, record);
  }));
  return appended;
}

Status ConsumerGroups::Delete(std::string_view group) {
  EVLOG_RETURN_IF_ERROR(CheckGroupName(group));
  bool found = true;
  EVLOG_RETURN_IF_ERROR(impl_->Transact(true, [&](MDB_txn* txn) {
    MDB_val key = Val(group);
    int rc = mdb_del(txn, impl_->env_->groups, &key, nullptr);
    if (rc == MDB_NOTFOUND) {
      found = false;
      return 0;
    }
    return rc;
  }));
  if (!found) return Status::NotFound(fmt::format("no group named '{}'", group));
  return Status::Ok();
}

Result<std::vector<GroupInfo>> ConsumerGroups::ListIfPresent(const Log& log) {
  return ListWithoutWriting(log, StorePath(log));
}

Result<GroupInfo> ConsumerGroups::GetIfPresent(const Log& log, std::string_view group) {
  EVLOG_RETURN_IF_ERROR(CheckGroupName(group));
  EVLOG_ASSIGN_OR_RETURN(std::vector<GroupInfo> groups, ListIfPresent(log));
  for (GroupInfo& g : groups) {
    if (g.name == group) return std::move(g);
  }
  EVLOG_ASSIGN_OR_RETURN(LogInfo info, log.Info());
  return GroupInfo{std::string(group), info.first_offset, 0};
}

Result<std::vector<GroupInfo>> ConsumerGroups::List() {
  std::vector<GroupInfo> groups;
  EVLOG_RETURN_IF_ERROR(impl_->Transact(false, [&](MDB_txn* txn) {
    groups.clear();
    MDB_cursor* cursor = nullptr;
    int rc = mdb_cursor_open(txn, impl_->env_->groups, &cursor);
    MDB_val key, value;
    for (rc = rc ? rc : mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
      const char* p = static_cast<const char*>(value.mv_data);
      if (value.mv_size != kValueSize || GetFixed32(p) != kValueVersion) {
        rc = MDB_CORRUPTED;
        break;
      }
      groups.push_back({std::string(static_cast<char*>(key.mv_data), key.mv_size), GetFixed64(p + 4),
                        static_cast<int64_t>(GetFixed64(p + 12))});
    }
    if (cursor != nullptr) mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
  }));
  return groups;
}

}  // namespace eventlog
