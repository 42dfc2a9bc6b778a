#include "torture_log.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "eventlog/compaction.h"
#include "eventlog/verify.h"
#include "format.h"

namespace eventlog::torture {

namespace {

// LMDB syncs on every commit; on tmpfs that costs nothing, which keeps many cycles cheap.
std::string MakeScratchDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : tmp != nullptr ? tmp : "/tmp";
  std::string path = base + "/evlog-torture-XXXXXX";
  REQUIRE_MESSAGE(mkdtemp(path.data()) != nullptr, "mkdtemp in " << base);
  return path;
}

}  // namespace

Result<std::vector<LogEvent>> ReadEvents(const Log& log, uint64_t from) {
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, log.NewReader());
  EVLOG_RETURN_IF_ERROR(reader->SeekToOffset(from));
  std::vector<LogEvent> out;
  Event e;
  while (true) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&e));
    if (!more) return out;
    out.push_back({e.offset, std::string(e.payload)});
  }
}

TortureLog::TortureLog(testing::FaultFileSystem& fs, LogLimits limits, int processes)
    : fs_(fs), scratch_(MakeScratchDir()), dir_(scratch_ + "/log"), procs_(static_cast<size_t>(processes)) {
  REQUIRE(mkdir(dir_.c_str(), 0755) == 0);
  REQUIRE(fs_.CreateDir(dir_).ok());
  auto log = Log::Open(dir_, {.create_if_missing = true, .limits = limits, .fs = &fs_});
  REQUIRE_MESSAGE(log.has_value(), log.status().message());
  procs_[0].log = std::move(log).value();
  auto info = procs_[0].log->Info();
  REQUIRE_MESSAGE(info.has_value(), info.status().message());
  limits_ = *info;
}

TortureLog::~TortureLog() {
  for (Process& p : procs_) {
    p.groups.reset();
    p.log.reset();
  }
  std::error_code ignored;
  std::filesystem::remove_all(scratch_, ignored);
}

Result<Log*> TortureLog::Handle(int p) {
  Process& proc = procs_[static_cast<size_t>(p)];
  if (!proc.log) {
    EVLOG_ASSIGN_OR_RETURN(proc.log, Log::Open(dir_, {.fs = &fs_}));
  }
  return proc.log.get();
}

Result<ConsumerGroups*> TortureLog::Groups(int p) {
  EVLOG_ASSIGN_OR_RETURN(Log * log, Handle(p));
  Process& proc = procs_[static_cast<size_t>(p)];
  if (!proc.groups) {
    EVLOG_ASSIGN_OR_RETURN(proc.groups, ConsumerGroups::Open(*log));
  }
  return proc.groups.get();
}

Outcome TortureLog::Classify(const Status& s, int p) {
  if (s.ok()) return Outcome::kAck;
  // A killed process never hears back; a failed-state process does not know (format-spec
  // §8.5) and must be replaced by a new one.
  if (fs_.crashed() || s.code() == StatusCode::kFailed) {
    Kill(p);
    return Outcome::kUnknown;
  }
  // Everything else is reported only once the frames are gone (format-spec §6.2).
  return Outcome::kFail;
}

Outcome TortureLog::Append(int p, const BatchSpec& spec) {
  const auto n = static_cast<uint32_t>(spec.sizes.size());
  AppendRecord rec{static_cast<uint64_t>(p) + 1, procs_[static_cast<size_t>(p)].seq++, n, spec.sync,
                   Outcome::kUnknown, 0, history_.Tick()};
  Status status;
  auto log = Handle(p);
  if (!log) {
    status = log.status();
  } else {
    Batch batch(limits_.max_event_bytes, limits_.segment_bytes - format::segment::kHeaderSize, dir_,
                spec.frame_body_bytes);
    for (uint32_t i = 0; i < n && status.ok(); ++i) {
      status = batch.Add({.payload = EncodePayload({rec.producer, rec.seq, i, n}, spec.sizes[i])});
    }
    if (status.ok()) {
      auto appended = (*log)->Append(batch, {.sync = spec.sync});
      status = appended.status();
      if (appended) rec.first = appended->first_offset;
    }
  }
  rec.outcome = Classify(status, p);
  if (rec.outcome != Outcome::kUnknown) rec.end = history_.Tick();
  if (rec.outcome == Outcome::kAck) events_appended_ += n;
  // A synced acknowledgement makes everything published before it durable; an unsynced one,
  // or one whose outcome is unknown, may leave HEAD naming what a power loss takes.
  if (rec.outcome == Outcome::kAck && spec.sync) unsynced_published_ = false;
  if (rec.outcome != Outcome::kFail && !spec.sync) unsynced_published_ = true;
  history_.appends.push_back(rec);
  return rec.outcome;
}

Status TortureLog::Read(int p, std::optional<uint64_t> from) {
  EVLOG_ASSIGN_OR_RETURN(Log * log, Handle(p));
  EVLOG_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, log->NewReader());
  if (from) EVLOG_RETURN_IF_ERROR(reader->SeekToOffset(*from));
  Event e;
  while (true) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&e));
    if (!more) return Status::Ok();
    history_.seen.push_back({static_cast<uint64_t>(p) + 1, e.offset, std::string(e.payload),
                             history_.power_losses.size(), history_.Tick()});
    newest_read_ = std::max(newest_read_, e.offset + 1);
  }
}

Status TortureLog::ReadFrom(int p, uint64_t from, std::vector<LogEvent>* out) {
  EVLOG_ASSIGN_OR_RETURN(Log * log, Handle(p));
  EVLOG_ASSIGN_OR_RETURN(*out, ReadEvents(*log, from));
  return Status::Ok();
}

Status TortureLog::AckGroup(int p, const std::string& group, uint64_t behind) {
  if (newest_read_ <= behind) return Status::Ok();
  const uint64_t offset = newest_read_ - 1 - behind;
  EVLOG_ASSIGN_OR_RETURN(ConsumerGroups * groups, Groups(p));
  groups_used_.insert(group);
  GroupAckRecord ack{group, offset + 1, Outcome::kUnknown, history_.Tick()};
  auto acked = groups->Ack(group, offset);
  ack.outcome = acked ? Outcome::kAck : acked.status().code() == StatusCode::kInvalidArgument ? Outcome::kFail
                                                                                            : Outcome::kUnknown;
  if (ack.outcome != Outcome::kUnknown) ack.end = history_.Tick();
  history_.group_acks.push_back(ack);
  const uint64_t start = history_.Tick();
  auto info = groups->Get(group);
  if (info) history_.group_reads.push_back({group, info->position, start, history_.Tick()});
  return acked.has_value() ? info.status() : acked.status();
}

Status TortureLog::Compact(int p, uint64_t before_offset) {
  EVLOG_ASSIGN_OR_RETURN(Log * log, Handle(p));
  history_.compacted_below = std::max(history_.compacted_below, before_offset);
  return CompactLog(*log, {.before_offset = before_offset}).status();
}

void TortureLog::Kill(int p) {
  Process& proc = procs_[static_cast<size_t>(p)];
  proc.groups.reset();  // while the file system is still dead: a dead process writes nothing
  proc.log.reset();
  if (fs_.crashed()) {
    ++crashes_;
    fs_.ClearFaults();
  }
}

void TortureLog::PowerLoss() {
  for (Process& proc : procs_) {
    proc.groups.reset();
    proc.log.reset();
  }
  fs_.SimulatePowerLoss();
  history_.power_losses.push_back(history_.Tick());
  unsynced_at_power_loss_ = unsynced_published_;
  unsynced_lost_ever_ = unsynced_lost_ever_ || unsynced_published_;
}

Status TortureLog::Recover(int p) {
  EVLOG_ASSIGN_OR_RETURN(Log * log, Handle(p));
  Status s = log->Recover();
  if (s.ok()) unsynced_published_ = false;  // recovery synced what it kept before publishing
  if (!s.ok()) Kill(p);
  return s;
}

Result<std::vector<LogEvent>> TortureLog::ReadAll() {
  EVLOG_ASSIGN_OR_RETURN(Log * log, Handle(0));
  return ReadEvents(*log);
}

std::vector<Violation> TortureLog::CheckFinal() {
  std::vector<Violation> out;
  auto events = ReadAll();
  if (!events) return {{"read", "reading the final log failed: " + events.status().message()}};
  auto log = Handle(0);
  auto groups = Groups(0);
  if (!groups) out.push_back({"groups", "opening the group store failed: " + groups.status().message()});
  for (const std::string& g : groups_used_) {
    auto info = groups ? (*groups)->Get(g) : Result<GroupInfo>(groups.status());
    if (info) history_.final_groups[g] = info->position;
  }
  auto report = VerifyLog(**log);
  if (!report) out.push_back({"verify", "verify could not run: " + report.status().message()});
  for (const VerifyProblem& problem : report ? report->problems : std::vector<VerifyProblem>{}) {
    const bool group_ahead = problem.file == "groups" && problem.message.find("past the log's end") != std::string::npos;
    if (problem.kind == VerifyProblem::Kind::kIndex) {
      ++index_problems_;
    } else if (group_ahead && unsynced_lost_ever_) {
      ++groups_past_end_;
    } else {
      out.push_back({"verify", fmt::format("{} at byte {}: {}", problem.file, problem.position, problem.message)});
    }
  }
  for (Violation& v : Check(history_, *events)) out.push_back(std::move(v));
  if (!out.empty()) Dump(*events);
  return out;
}

void TortureLog::Dump(const std::vector<LogEvent>& events) {
  static int dumps = 0;  // the first few failures of a run are enough to debug
  if (++dumps > 3) return;
  const std::string base = fmt::format("{}/evlog-torture-failure-{}-{}",
                                       std::filesystem::temp_directory_path().string(), getpid(), dumps);
  std::ofstream(base + ".history.jsonl") << HistoryToJsonLines(history_);
  std::ofstream(base + ".log.jsonl") << LogToJsonLines(events);
  fmt::print("history and final log written for: history_check --log {0}.log.jsonl {0}.history.jsonl\n", base);
}

}  // namespace eventlog::torture
