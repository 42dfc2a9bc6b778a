#include "capture/postgres/transaction_assembler.h"

#include <fmt/format.h>

namespace evlog::pg {

using eventlog::Result;
using eventlog::Status;

Result<std::shared_ptr<const PgRelation>> TransactionAssembler::Relation(uint32_t id, const PgTuple* row) const {
  auto it = relations_.find(id);
  if (it == relations_.end())
    return Status::Corruption(fmt::format("pgoutput stream: a change to relation {} before its Relation message", id));
  // An empty old row is an Update that sent none; any row sent has every column.
  if (row != nullptr && row->size() != it->second->columns.size())
    return Status::Corruption(fmt::format("pgoutput stream: a row of {} values for {}.{}, which has {} columns",
                                          row->size(), it->second->schema, it->second->name,
                                          it->second->columns.size()));
  return it->second;
}

Status TransactionAssembler::AddChange(PgoutputMessage& message) {
  RowChange change;
  if (auto* insert = std::get_if<PgInsert>(&message)) {
    change.op = RowChange::Op::kInsert;
    EVLOG_ASSIGN_OR_RETURN(change.relation, Relation(insert->relation_id, &insert->row));
    change.new_row = std::move(insert->row);
  } else if (auto* update = std::get_if<PgUpdate>(&message)) {
    change.op = RowChange::Op::kUpdate;
    EVLOG_ASSIGN_OR_RETURN(change.relation, Relation(update->relation_id, &update->new_row));
    if (update->old_kind != PgOldRow::kNone) {
      EVLOG_RETURN_IF_ERROR(Relation(update->relation_id, &update->old_row).status());
    }
    change.old_kind = update->old_kind;
    change.old_row = std::move(update->old_row);
    change.new_row = std::move(update->new_row);
  } else if (auto* erase = std::get_if<PgDelete>(&message)) {
    change.op = RowChange::Op::kDelete;
    EVLOG_ASSIGN_OR_RETURN(change.relation, Relation(erase->relation_id, &erase->old_row));
    change.old_kind = erase->old_kind;
    change.old_row = std::move(erase->old_row);
  } else if (auto* truncate = std::get_if<PgTruncate>(&message)) {
    change.op = RowChange::Op::kTruncate;
    if (truncate->relation_ids.empty()) return Status::Corruption("pgoutput stream: a Truncate of no relation");
    for (uint32_t id : truncate->relation_ids) {
      EVLOG_ASSIGN_OR_RETURN(auto relation, Relation(id, nullptr));
      change.truncated.push_back(std::move(relation));
    }
    change.relation = change.truncated.front();
    change.truncate_options = truncate->options;
  }
  open_->changes.push_back(std::move(change));
  return Status::Ok();
}

Result<std::optional<Transaction>> TransactionAssembler::Add(PgoutputMessage message) {
  if (auto* relation = std::get_if<PgRelation>(&message)) {
    // Replaces the old definition; changes already decoded keep the one they were made under.
    const uint32_t id = relation->id;
    relations_[id] = std::make_shared<const PgRelation>(std::move(*relation));
    return std::optional<Transaction>();
  }
  if (std::holds_alternative<PgType>(message) || std::holds_alternative<PgOrigin>(message)) {
    return std::optional<Transaction>();  // values arrive as text, so type names are not needed
  }
  if (auto* begin = std::get_if<PgBegin>(&message)) {
    if (open_) return Status::Corruption(fmt::format("pgoutput stream: Begin of xid {} inside xid {}", begin->xid, open_->xid));
    open_.emplace();
    open_->xid = begin->xid;
    open_->commit_time = begin->commit_time;
    open_final_lsn_ = begin->final_lsn;
    return std::optional<Transaction>();
  }
  if (auto* commit = std::get_if<PgCommit>(&message)) {
    if (!open_) return Status::Corruption("pgoutput stream: Commit without Begin");
    if (commit->commit_lsn != open_final_lsn_)
      return Status::Corruption(fmt::format("pgoutput stream: xid {} began with final LSN {:X} but commits at {:X}",
                                            open_->xid, open_final_lsn_, commit->commit_lsn));
    open_->commit_lsn = commit->commit_lsn;
    open_->end_lsn = commit->end_lsn;
    open_->commit_time = commit->commit_time;
    std::optional<Transaction> done = std::move(open_);
    open_.reset();
    return done;
  }
  if (!open_) return Status::Corruption("pgoutput stream: a row change outside a transaction");
  EVLOG_RETURN_IF_ERROR(AddChange(message));
  return std::optional<Transaction>();
}

}  // namespace evlog::pg
