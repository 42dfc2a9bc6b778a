#include "history.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace eventlog::torture {

namespace {

char FillerByte(const PayloadId& id, size_t k) {
  return static_cast<char>('a' + (7 * id.producer + 13 * id.seq + 31 * uint64_t{id.index} + k) % 26);
}

// Reads "<tag><decimal>" from the front of *s.
template <typename T>
bool TakeField(std::string_view* s, char tag, T* value) {
  if (s->empty() || s->front() != tag) return false;
  const char* begin = s->data() + 1;
  const char* end = s->data() + s->size();
  auto [ptr, ec] = std::from_chars(begin, end, *value);
  if (ec != std::errc() || ptr == begin) return false;
  s->remove_prefix(static_cast<size_t>(ptr - s->data()));
  return true;
}

std::string Name(const PayloadId& id) { return fmt::format("p{}s{}i{}n{}", id.producer, id.seq, id.index, id.count); }

std::string Brief(std::string_view payload) {
  std::string out(payload.substr(0, 40));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  return payload.size() > 40 ? out + "..." : out;
}

}  // namespace

std::string EncodePayload(const PayloadId& id, size_t size) {
  std::string out = fmt::format("{}:", Name(id));
  for (size_t k = 0; out.size() < size; ++k) out.push_back(FillerByte(id, k));
  return out;
}

std::optional<PayloadId> DecodePayload(std::string_view payload) {
  PayloadId id;
  std::string_view s = payload;
  if (!TakeField(&s, 'p', &id.producer) || !TakeField(&s, 's', &id.seq) || !TakeField(&s, 'i', &id.index) ||
      !TakeField(&s, 'n', &id.count) || s.empty() || s.front() != ':' || id.index >= id.count) {
    return std::nullopt;
  }
  s.remove_prefix(1);
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] != FillerByte(id, k)) return std::nullopt;
  }
  // Not canonical (a leading zero, say): the same numbers would encode differently.
  if (EncodePayload(id, payload.size()) != payload) return std::nullopt;
  return id;
}

namespace {

using BatchKey = std::pair<uint64_t, uint64_t>;  // producer, seq

// A batch found in the log: its events' positions in the log, in log order.
struct Found {
  std::vector<size_t> members;
  uint64_t first = 0;  // offset of its first event in the log
};

class Checker {
 public:
  Checker(const History& h, const std::vector<LogEvent>& log) : h_(h), log_(log) {}

  std::vector<Violation> Run() {
    IndexRecords();
    CheckOffsets();
    IndexLog();
    CheckBatches();
    CheckAcknowledged();
    CheckRealtimeOrder();
    CheckProducerOrder();
    CheckSeen();
    CheckGroups();
    return std::move(out_);
  }

 private:
  void Add(const char* invariant, std::string detail) { out_.push_back({invariant, std::move(detail)}); }

  static std::string Describe(const AppendRecord& a) {
    std::string what = a.outcome == Outcome::kAck ? fmt::format("acknowledged at offset {}", a.first)
                       : a.outcome == Outcome::kFail ? "definitely failed"
                                                     : "outcome unknown";
    return fmt::format("append p{} s{} ({} events, {}, {}, clock {}..{})", a.producer, a.seq, a.events,
                       a.sync ? "sync" : "no sync", what, a.start,
                       a.end == UINT64_MAX ? std::string("-") : std::to_string(a.end));
  }

  std::string AtOffset(uint64_t offset) const {
    auto it = by_offset_.find(offset);
    if (it == by_offset_.end()) return fmt::format("offset {} holds nothing", offset);
    return fmt::format("offset {} holds '{}'", offset, Brief(log_[it->second].payload));
  }

  bool Compacted(uint64_t end_offset) const {
    const uint64_t log_first = log_.empty() ? UINT64_MAX : log_.front().offset;
    return end_offset <= h_.compacted_below && end_offset <= log_first;
  }

  void IndexRecords() {
    for (size_t i = 0; i < h_.appends.size(); ++i) {
      const AppendRecord& a = h_.appends[i];
      if (!records_.emplace(BatchKey{a.producer, a.seq}, i).second) {
        Add("history", fmt::format("two records of append p{} s{}", a.producer, a.seq));
      }
    }
    for (size_t i = 0; i < log_.size(); ++i) by_offset_.emplace(log_[i].offset, i);
  }

  void CheckOffsets() {
    for (size_t i = 1; i < log_.size(); ++i) {
      if (log_[i].offset != log_[i - 1].offset + 1) {
        Add("offsets", fmt::format("event {} of the log has offset {} after offset {}", i, log_[i].offset,
                                   log_[i - 1].offset));
      }
    }
  }

  void IndexLog() {
    std::map<std::pair<BatchKey, uint32_t>, size_t> seen_event;
    for (size_t i = 0; i < log_.size(); ++i) {
      std::optional<PayloadId> id = DecodePayload(log_[i].payload);
      if (!id) {
        Add("altered", fmt::format("offset {}: payload '{}' does not decode", log_[i].offset, Brief(log_[i].payload)));
        continue;
      }
      auto rec = records_.find({id->producer, id->seq});
      if (rec == records_.end() || h_.appends[rec->second].events != id->count) {
        Add("altered", fmt::format("offset {}: {} names no attempted append", log_[i].offset, Name(*id)));
        continue;
      }
      auto [it, fresh] = seen_event.emplace(std::pair{BatchKey{id->producer, id->seq}, id->index}, i);
      if (!fresh) {
        Add("duplicate", fmt::format("{} is at offsets {} and {}", Name(*id), log_[it->second].offset, log_[i].offset));
        continue;
      }
      found_[{id->producer, id->seq}].members.push_back(i);
    }
  }

  void CheckBatches() {
    for (auto& [key, f] : found_) {
      const AppendRecord& a = h_.appends[records_.at(key)];
      f.first = log_[f.members.front()].offset;
      bool whole = f.members.size() == a.events;
      for (size_t k = 0; k < f.members.size() && whole; ++k) {
        const LogEvent& e = log_[f.members[k]];
        whole = DecodePayload(e.payload)->index == k && e.offset == f.first + k;
      }
      if (!whole) {
        std::string where;
        for (size_t m : f.members) where += fmt::format(" {}@{}", DecodePayload(log_[m].payload)->index, log_[m].offset);
        Add("partial_batch", fmt::format("{}: {} of {} events in the log, or out of order (index@offset:{})",
                                         Describe(a), f.members.size(), a.events, where));
      }
      if (a.outcome == Outcome::kFail) {
        Add("failed_present", fmt::format("{} is in the log at offset {}", Describe(a), f.first));
      }
    }
  }

  // The first power loss after clock `at`, UINT64_MAX if none.
  uint64_t NextPowerLoss(uint64_t at) const {
    auto it = std::upper_bound(h_.power_losses.begin(), h_.power_losses.end(), at);
    return it == h_.power_losses.end() ? UINT64_MAX : *it;
  }

  void CheckAcknowledged() {
    // A synced acknowledgement makes every earlier publish durable too (format-spec §6.6):
    // the segment is synced, and older segments were synced when they were closed.
    std::vector<const AppendRecord*> synced_present;
    for (const auto& [key, f] : found_) {
      const AppendRecord& a = h_.appends[records_.at(key)];
      if (a.outcome == Outcome::kAck && a.sync) synced_present.push_back(&a);
    }
    for (const AppendRecord& a : h_.appends) {
      if (a.outcome != Outcome::kAck || a.events == 0) continue;
      auto f = found_.find({a.producer, a.seq});
      if (f != found_.end()) {
        if (f->second.first != a.first) {
          Add("lost", fmt::format("{} is at offset {} instead; {}", Describe(a), f->second.first, AtOffset(a.first)));
        }
        continue;
      }
      if (Compacted(a.first + a.events)) continue;
      if (a.sync) {
        Add("lost", fmt::format("{} is missing; {}", Describe(a), AtOffset(a.first)));
        continue;
      }
      const uint64_t loss = NextPowerLoss(a.end);
      for (const AppendRecord* b : synced_present) {
        if (b->start > a.end && b->end < loss) {
          Add("lost", fmt::format("{} is missing, though the later synced {} is there and no power loss came "
                                  "between them; {}",
                                  Describe(a), Describe(*b), AtOffset(a.first)));
          break;
        }
      }
    }
  }

  void CheckRealtimeOrder() {
    // Present, acknowledged appends by the clock at their answer, with a running maximum of
    // the last offset each holds.
    std::vector<std::pair<uint64_t, const AppendRecord*>> by_end;
    for (const auto& [key, f] : found_) {
      const AppendRecord& a = h_.appends[records_.at(key)];
      if (a.outcome == Outcome::kAck) by_end.emplace_back(a.end, &a);
    }
    std::sort(by_end.begin(), by_end.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::pair<uint64_t, const AppendRecord*>> highest;  // prefix max of last offset
    for (const auto& [end, a] : by_end) {
      const uint64_t last = found_.at({a->producer, a->seq}).first + a->events - 1;
      if (highest.empty() || last > highest.back().first) {
        highest.emplace_back(last, a);
      } else {
        highest.push_back(highest.back());
      }
    }
    for (const auto& [key, f] : found_) {
      const AppendRecord& b = h_.appends[records_.at(key)];
      auto before = std::lower_bound(by_end.begin(), by_end.end(), b.start,
                                     [](const auto& x, uint64_t start) { return x.first < start; });
      if (before == by_end.begin()) continue;
      const auto& [last, a] = highest[static_cast<size_t>(before - by_end.begin()) - 1];
      if (last >= f.first) {
        Add("realtime_order", fmt::format("{} got offset {}, but {} was acknowledged before it started and holds "
                                          "offset {}",
                                          Describe(b), f.first, Describe(*a), last));
      }
    }
  }

  void CheckProducerOrder() {
    std::map<uint64_t, std::pair<uint64_t, const AppendRecord*>> last;  // producer -> (offset, record)
    for (const auto& [key, f] : found_) {  // ordered by producer, then seq
      const AppendRecord& a = h_.appends[records_.at(key)];
      auto it = last.find(a.producer);
      if (it != last.end() && it->second.first > f.first) {
        Add("producer_order", fmt::format("{} is at offset {}, before the earlier {} at offset {}", Describe(a),
                                          f.first, Describe(*it->second.second), it->second.first));
      }
      last[a.producer] = {f.first, &a};
    }
  }

  void CheckSeen() {
    for (const SeenRecord& s : h_.seen) {
      auto at = by_offset_.find(s.offset);
      if (at != by_offset_.end() && log_[at->second].payload == s.payload) continue;
      std::optional<PayloadId> id = DecodePayload(s.payload);
      if (!id) {
        Add("altered", fmt::format("consumer {} read an undecodable payload '{}' at offset {} (clock {})", s.consumer,
                                   Brief(s.payload), s.offset, s.at));
        continue;
      }
      auto rec = records_.find({id->producer, id->seq});
      const bool unsynced = rec != records_.end() && !h_.appends[rec->second].sync;
      if (unsynced && found_.count({id->producer, id->seq}) == 0) continue;  // lost whole, as §6.6 allows
      if (Compacted(s.offset + 1)) continue;
      Add("seen_vanished", fmt::format("consumer {} read {} at offset {} (epoch {}, clock {}); {}", s.consumer, Name(*id),
                                       s.offset, s.epoch, s.at, AtOffset(s.offset)));
    }
  }

  void CheckGroups() {
    std::map<std::string, std::vector<const GroupAckRecord*>> acks;
    std::map<std::string, std::vector<const GroupReadRecord*>> reads;
    for (const GroupAckRecord& a : h_.group_acks) {
      if (a.outcome == Outcome::kAck) acks[a.group].push_back(&a);
    }
    for (const GroupReadRecord& r : h_.group_reads) reads[r.group].push_back(&r);
    for (const auto& [group, list] : reads) {
      for (const GroupReadRecord* r : list) {
        for (const GroupAckRecord* a : acks[group]) {
          if (a->end < r->start && r->position < a->position) {
            Add("group_lost", fmt::format("group '{}' read at position {} (clock {}) after an ack to {} (clock {})",
                                          group, r->position, r->start, a->position, a->end));
          }
        }
        for (const GroupReadRecord* earlier : list) {
          if (earlier->end < r->start && r->position < earlier->position) {
            Add("group_backwards", fmt::format("group '{}' read at position {} (clock {}) after {} (clock {})", group,
                                               r->position, r->start, earlier->position, earlier->end));
          }
        }
      }
    }
    for (const auto& [group, final_position] : h_.final_groups) {
      for (const GroupAckRecord* a : acks[group]) {
        if (final_position < a->position) {
          Add("group_lost", fmt::format("group '{}' ends at position {}, below its ack to {} (clock {})", group,
                                        final_position, a->position, a->end));
        }
      }
      for (const GroupReadRecord* r : reads[group]) {
        if (final_position < r->position) {
          Add("group_backwards", fmt::format("group '{}' ends at position {}, below the {} read at clock {}", group,
                                             final_position, r->position, r->start));
        }
      }
    }
  }

  const History& h_;
  const std::vector<LogEvent>& log_;
  std::map<BatchKey, size_t> records_;  // -> index in h_.appends
  std::map<uint64_t, size_t> by_offset_;  // -> index in log_
  std::map<BatchKey, Found> found_;
  std::vector<Violation> out_;
};

}  // namespace

std::vector<Violation> Check(const History& history, const std::vector<LogEvent>& log) {
  return Checker(history, log).Run();
}

}  // namespace eventlog::torture
