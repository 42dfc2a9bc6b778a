#include "capture/postgres/pgoutput.h"

#include <fmt/format.h>

#include "capture/postgres/wire_reader.h"

namespace evlog::pg {

using eventlog::Result;
using eventlog::Status;

namespace {

// Smallest encodings, for Fits(): a column of a Relation is flags, an empty name's NUL, type
// OID and modifier; a value in a tuple is at least its kind byte.
constexpr size_t kMinRelationColumnBytes = 1 + 1 + 4 + 4;
constexpr size_t kMinTupleValueBytes = 1;

PgTuple ReadTuple(WireReader& in) {
  PgTuple tuple;
  const int16_t count = in.I16("column count");
  if (!in.Fits(count, kMinTupleValueBytes, "column count")) return tuple;
  tuple.reserve(count);
  for (int16_t i = 0; i < count && in.ok(); i++) {
    PgValue value;
    const char kind = static_cast<char>(in.U8("value kind"));
    if (kind == 't') {
      value.kind = PgValue::Kind::kText;
      const int32_t length = in.I32("value length");
      if (length < 0) in.Fail(fmt::format("column {} has negative length {}", i, length));
      value.text = std::string(in.Bytes(length < 0 ? 0 : static_cast<size_t>(length), "value"));
    } else if (kind == 'n') {
      value.kind = PgValue::Kind::kNull;
    } else if (kind == 'u') {
      value.kind = PgValue::Kind::kUnchangedToast;
    } else if (in.ok()) {
      // 'b' (binary) only comes with the `binary` option, which we never ask for.
      in.Fail(fmt::format("column {} has unknown value kind 0x{:02x}", i, static_cast<uint8_t>(kind)));
    }
    tuple.push_back(std::move(value));
  }
  return tuple;
}

PgBegin ReadBegin(WireReader& in) {
  PgBegin m;
  m.final_lsn = in.U64("final LSN");
  m.commit_time = in.I64("commit time");
  m.xid = in.U32("xid");
  return m;
}

PgCommit ReadCommit(WireReader& in) {
  PgCommit m;
  m.flags = in.U8("flags");
  m.commit_lsn = in.U64("commit LSN");
  m.end_lsn = in.U64("end LSN");
  m.commit_time = in.I64("commit time");
  return m;
}

PgOrigin ReadOrigin(WireReader& in) {
  PgOrigin m;
  m.origin_commit_lsn = in.U64("origin commit LSN");
  m.name = in.CString("origin name");
  return m;
}

PgRelation ReadRelation(WireReader& in) {
  PgRelation m;
  m.id = in.U32("relation id");
  m.schema = in.CString("namespace");
  m.name = in.CString("relation name");
  m.replica_identity = static_cast<char>(in.U8("replica identity"));
  const int16_t count = in.I16("column count");
  if (!in.Fits(count, kMinRelationColumnBytes, "column count")) return m;
  m.columns.reserve(count);
  for (int16_t i = 0; i < count && in.ok(); i++) {
    PgColumn column;
    column.key = (in.U8("column flags") & 1) != 0;
    column.name = in.CString("column name");
    column.type_oid = in.U32("column type");
    column.type_modifier = in.I32("column type modifier");
    m.columns.push_back(std::move(column));
  }
  return m;
}

PgType ReadType(WireReader& in) {
  PgType m;
  m.oid = in.U32("type OID");
  m.schema = in.CString("namespace");
  m.name = in.CString("type name");
  return m;
}

// The tag before a tuple: 'N' new, 'K' old key, 'O' old full row.
char ReadTupleTag(WireReader& in) { return static_cast<char>(in.U8("tuple tag")); }

void ExpectNewTupleTag(WireReader& in, char tag) {
  if (in.ok() && tag != 'N') in.Fail(fmt::format("expected new tuple tag 'N', got 0x{:02x}", static_cast<uint8_t>(tag)));
}

PgInsert ReadInsert(WireReader& in) {
  PgInsert m;
  m.relation_id = in.U32("relation id");
  ExpectNewTupleTag(in, ReadTupleTag(in));
  m.row = ReadTuple(in);
  return m;
}

PgUpdate ReadUpdate(WireReader& in) {
  PgUpdate m;
  m.relation_id = in.U32("relation id");
  char tag = ReadTupleTag(in);
  if (tag == 'K' || tag == 'O') {
    m.old_kind = static_cast<PgOldRow>(tag);
    m.old_row = ReadTuple(in);
    tag = ReadTupleTag(in);
  }
  ExpectNewTupleTag(in, tag);
  m.new_row = ReadTuple(in);
  return m;
}

PgDelete ReadDelete(WireReader& in) {
  PgDelete m;
  m.relation_id = in.U32("relation id");
  const char tag = ReadTupleTag(in);
  if (tag == 'K' || tag == 'O') {
    m.old_kind = static_cast<PgOldRow>(tag);
  } else if (in.ok()) {
    in.Fail(fmt::format("expected old tuple tag 'K' or 'O', got 0x{:02x}", static_cast<uint8_t>(tag)));
  }
  m.old_row = ReadTuple(in);
  return m;
}

PgTruncate ReadTruncate(WireReader& in) {
  PgTruncate m;
  const int32_t count = in.I32("relation count");
  m.options = in.U8("options");
  if (!in.Fits(count, 4, "relation count")) return m;
  m.relation_ids.reserve(count);
  for (int32_t i = 0; i < count && in.ok(); i++) m.relation_ids.push_back(in.U32("relation id"));
  return m;
}

// A message is only good if it was read whole and exactly: trailing bytes mean a misread.
template <typename T>
Result<PgoutputMessage> Finish(WireReader& in, T message) {
  in.ExpectEnd();
  if (!in.ok()) return in.status();
  return PgoutputMessage(std::move(message));
}

std::string_view MessageName(char tag) {
  switch (tag) {
    case 'B': return "pgoutput Begin";
    case 'C': return "pgoutput Commit";
    case 'O': return "pgoutput Origin";
    case 'R': return "pgoutput Relation";
    case 'Y': return "pgoutput Type";
    case 'I': return "pgoutput Insert";
    case 'U': return "pgoutput Update";
    case 'D': return "pgoutput Delete";
    case 'T': return "pgoutput Truncate";
    default: return "pgoutput message";
  }
}

}  // namespace

Result<PgoutputMessage> DecodePgoutput(std::string_view bytes) {
  if (bytes.empty()) return Status::Corruption("pgoutput message: empty");
  const char tag = bytes[0];
  // Offsets in errors count from the tag, the first byte of the XLogData payload.
  WireReader in(bytes, MessageName(tag));
  in.U8("type");
  switch (tag) {
    case 'B': return Finish(in, ReadBegin(in));
    case 'C': return Finish(in, ReadCommit(in));
    case 'O': return Finish(in, ReadOrigin(in));
    case 'R': return Finish(in, ReadRelation(in));
    case 'Y': return Finish(in, ReadType(in));
    case 'I': return Finish(in, ReadInsert(in));
    case 'U': return Finish(in, ReadUpdate(in));
    case 'D': return Finish(in, ReadDelete(in));
    case 'T': return Finish(in, ReadTruncate(in));
    default:
      return Status::Corruption(fmt::format("pgoutput message: unknown type 0x{:02x} (not in protocol version 1)",
                                            static_cast<uint8_t>(tag)));
  }
}

}  // namespace evlog::pg
