// Groups a pgoutput message stream into whole transactions, Begin to Commit, resolving each
// row's relation id through the Relation messages seen so far. Pure: no I/O. pgoutput sends
// a transaction only once it has committed, whole and in commit order, so a completed
// Transaction here is exactly one committed source transaction.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "capture/postgres/pgoutput.h"
#include "eventlog/status.h"

namespace evlog::pg {

struct RowChange {
  enum class Op : char { kInsert = 'c', kUpdate = 'u', kDelete = 'd', kTruncate = 't' };
  Op op = Op::kInsert;
  // The relation as it was defined when the change was decoded (shared with later changes
  // until its definition changes). For kTruncate, the first of `truncated`.
  std::shared_ptr<const PgRelation> relation;
  PgOldRow old_kind = PgOldRow::kNone;
  PgTuple old_row;  // kUpdate with an old row, kDelete
  PgTuple new_row;  // kInsert, kUpdate
  // kTruncate only: every relation one TRUNCATE statement emptied, and its options.
  std::vector<std::shared_ptr<const PgRelation>> truncated;
  uint8_t truncate_options = 0;
};

struct Transaction {
  uint32_t xid = 0;
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;  // confirming this as flushed tells the server the transaction is consumed
  PgTimestamp commit_time = 0;
  std::vector<RowChange> changes;  // in the order the transaction made them
};

class TransactionAssembler {
 public:
  // Takes the next message. Returns the transaction a Commit completes, nullopt otherwise.
  // kCorruption when the stream breaks the protocol's order (a change outside Begin..Commit,
  // a Begin inside one, a Commit whose LSN is not the Begin's), names an unknown relation, or
  // carries a row whose column count differs from its relation's.
  eventlog::Result<std::optional<Transaction>> Add(PgoutputMessage message);

  bool in_transaction() const { return open_.has_value(); }

 private:
  eventlog::Result<std::shared_ptr<const PgRelation>> Relation(uint32_t id, const PgTuple* row) const;
  eventlog::Status AddChange(PgoutputMessage& message);

  std::map<uint32_t, std::shared_ptr<const PgRelation>> relations_;
  std::optional<Transaction> open_;
  Lsn open_final_lsn_ = 0;
};

}  // namespace evlog::pg
