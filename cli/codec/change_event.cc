#include "codec/change_event.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "codec/base64.h"
#include "codec/json_envelope.h"
#include "codec/json_scan.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

void AppendBase64(std::string* out, std::string_view bytes) {
  const size_t at = out->size();
  out->resize(at + Base64EncodedSize(bytes.size()));
  Base64Encode(bytes, out->data() + at);
}

// §C1.1: the shortest decimal that reads back as the same double, marked as REAL.
void AppendReal(std::string* out, double v) {
  if (std::isinf(v)) {
    *out += v > 0 ? R"({"$real":"Infinity"})" : R"({"$real":"-Infinity"})";
    return;
  }
  if (std::isnan(v)) {
    *out += R"({"$real":"NaN"})";  // §C7.2: only PostgreSQL has one
    return;
  }
  const size_t at = out->size();
  fmt::format_to(std::back_inserter(*out), "{}", v);
  if (out->find_first_of(".eE", at) == std::string::npos) *out += ".0";
}

void AppendRow(std::string* out, const SqlRow& row) {
  out->push_back('{');
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(row[i].first, out);
    out->push_back(':');
    AppendJsonValue(out, row[i].second);
  }
  out->push_back('}');
}

void AppendOptionalRow(std::string* out, const std::optional<SqlRow>& row) {
  if (row) {
    AppendRow(out, *row);
  } else {
    *out += "null";
  }
}

Status Invalid(std::string what) { return Status::InvalidArgument("not a change event: " + std::move(what)); }

// §C1.1, read back.
Status DecodeValue(std::string_view raw, SqlValue* out) {
  if (raw == "null") {
    *out = SqlValue::Null();
    return Status::Ok();
  }
  if (raw == "true" || raw == "false") {
    *out = SqlValue::Integer(raw == "true" ? 1 : 0);
    return Status::Ok();
  }
  if (!raw.empty() && raw.front() == '"') {
    std::string text;
    EVLOG_RETURN_IF_ERROR(DecodeJsonString(raw, 0, &text));
    *out = SqlValue::Text(std::move(text));
    return Status::Ok();
  }
  if (!raw.empty() && raw.front() == '{') {
    int members = 0;
    EVLOG_RETURN_IF_ERROR(ForEachMember(raw, 0, [&](const std::string& name, std::string_view value) {
      if (++members > 1) return Invalid("a typed value has more than one member");
      if (name == "$unchanged_toast") {
        if (value != "true") return Invalid("$unchanged_toast is not true");
        *out = SqlValue::UnchangedToast();
        return Status::Ok();
      }
      std::string text;
      if (value.empty() || value.front() != '"') return Invalid("a typed value's member is not a string");
      EVLOG_RETURN_IF_ERROR(DecodeJsonString(value, 0, &text));
      if (name == "$real") {
        if (text == "NaN") {
          *out = SqlValue::Real(std::numeric_limits<double>::quiet_NaN());
          return Status::Ok();
        }
        if (text != "Infinity" && text != "-Infinity") return Invalid("$real is not Infinity, -Infinity or NaN");
        *out = SqlValue::Real(text == "Infinity" ? HUGE_VAL : -HUGE_VAL);
        return Status::Ok();
      }
      std::string bytes;
      if (name != "$text_base64" && name != "$blob_base64") return Invalid("unknown typed value " + name);
      if (!Base64Decode(text, &bytes)) return Invalid(name + " is not valid base64");
      *out = name == "$blob_base64" ? SqlValue::Blob(std::move(bytes)) : SqlValue::Text(std::move(bytes));
      return Status::Ok();
    }));
    if (members == 0) return Invalid("an empty object as a value");
    return Status::Ok();
  }
  EVLOG_RETURN_IF_ERROR(ValidateJson(raw, 0));
  if (raw.empty() || (raw.front() != '-' && (raw.front() < '0' || raw.front() > '9'))) {
    return Invalid(fmt::format("a value is {}", JsonKind(raw)));
  }
  const char* end = raw.data() + raw.size();
  if (raw.find_first_of(".eE") == std::string_view::npos) {
    int64_t v;
    auto [ptr, ec] = std::from_chars(raw.data(), end, v);
    if (ec != std::errc() || ptr != end) return Invalid("an integer outside the 64-bit range");
    *out = SqlValue::Integer(v);
    return Status::Ok();
  }
  double v;
  auto [ptr, ec] = std::from_chars(raw.data(), end, v);
  if (ec != std::errc() || ptr != end) return Invalid("a real number out of range");
  *out = SqlValue::Real(v);
  return Status::Ok();
}

Status DecodeRow(std::string_view raw, SqlRow* row) {
  if (raw.empty() || raw.front() != '{') return Invalid(fmt::format("a row is {}", JsonKind(raw)));
  row->clear();
  return ForEachMember(raw, 0, [&](const std::string& name, std::string_view value) {
    SqlValue v;
    EVLOG_RETURN_IF_ERROR(DecodeValue(value, &v));
    row->emplace_back(name, std::move(v));
    return Status::Ok();
  });
}

Status DecodeOptionalRow(std::string_view raw, std::optional<SqlRow>* row) {
  if (raw == "null") {
    row->reset();
    return Status::Ok();
  }
  row->emplace();
  return DecodeRow(raw, &**row);
}

}  // namespace

bool SqlValue::operator==(const SqlValue& other) const {
  if (type != other.type) return false;
  switch (type) {
    case Type::kNull: return true;
    case Type::kInteger: return integer == other.integer;
    case Type::kReal: return std::memcmp(&real, &other.real, sizeof real) == 0;
    case Type::kText:
    case Type::kBlob: return bytes == other.bytes;
    case Type::kUnchangedToast: return true;
  }
  return false;
}

const SqlValue* FindColumn(const SqlRow& row, std::string_view name) {
  for (const auto& column : row) {
    if (column.first == name) return &column.second;
  }
  return nullptr;
}

Result<SqlRow> KeyValues(const SqlRow& row, const SqlRow& key, std::string_view what) {
  SqlRow values;
  for (const auto& [name, ignored] : key) {
    const SqlValue* value = FindColumn(row, name);
    if (value == nullptr) return Status::InvalidArgument(fmt::format("\"{}\" lacks key column {}", what, name));
    values.emplace_back(name, *value);
  }
  return values;
}

Result<SqlRow> OldKey(const ChangeEvent& change) {
  if (change.before) return KeyValues(*change.before, change.key, "before");
  if (change.after) return KeyValues(*change.after, change.key, "after");
  return change.key;
}

bool HasUnchangedToast(const SqlRow& row) {
  for (const auto& column : row) {
    if (column.second.type == SqlValue::Type::kUnchangedToast) return true;
  }
  return false;
}

SqlRow WithoutUnchangedToast(const SqlRow& row) {
  SqlRow present;
  for (const auto& column : row) {
    if (column.second.type != SqlValue::Type::kUnchangedToast) present.push_back(column);
  }
  return present;
}

void AppendJsonValue(std::string* out, const SqlValue& value) {
  switch (value.type) {
    case SqlValue::Type::kNull: *out += "null"; return;
    case SqlValue::Type::kInteger: fmt::format_to(std::back_inserter(*out), "{}", value.integer); return;
    case SqlValue::Type::kReal: AppendReal(out, value.real); return;
    case SqlValue::Type::kText:
      if (IsValidUtf8(value.bytes)) {
        AppendJsonString(value.bytes, out);
      } else {
        *out += R"({"$text_base64":")";
        AppendBase64(out, value.bytes);
        *out += "\"}";
      }
      return;
    case SqlValue::Type::kBlob:
      *out += R"({"$blob_base64":")";
      AppendBase64(out, value.bytes);
      *out += "\"}";
      return;
    case SqlValue::Type::kUnchangedToast: *out += R"({"$unchanged_toast":true})"; return;
  }
}

std::string EncodeChangeEnvelope(const ChangeEvent& c) {
  std::string out;
  out.reserve(256);
  out += R"({"op":")";
  out.push_back(c.op);
  out += R"(","table":)";
  AppendJsonString(c.table, &out);  // a table name is UTF-8 in SQLite's catalogue
  out += R"(,"key":)";
  AppendRow(&out, c.key);
  out += R"(,"before":)";
  AppendOptionalRow(&out, c.before);
  out += R"(,"after":)";
  AppendOptionalRow(&out, c.after);
  fmt::format_to(std::back_inserter(out), R"(,"ts_ms":{},"source":{{"connector":"sqlite","source_id":)", c.ts_ms);
  AppendJsonString(c.source_id, &out);
  if (c.outbox_id) fmt::format_to(std::back_inserter(out), R"(,"outbox_id":{})", *c.outbox_id);
  if (c.op == 'r') out += R"(,"snapshot":true)";
  out += "}}";
  return out;
}

std::string EncodeChangeKey(const ChangeEvent& c) {
  std::string out = "[";
  AppendJsonString(c.table, &out);
  for (const auto& [name, value] : c.key) {
    out.push_back(',');
    AppendJsonValue(&out, value);
  }
  out.push_back(']');
  return out;
}

std::optional<ChangeEvent> OldKeyDelete(const ChangeEvent& update) {
  if (update.op != 'u' || !update.before) return std::nullopt;
  Result<SqlRow> old_key = KeyValues(*update.before, update.key, "before");
  if (!old_key || *old_key == update.key) return std::nullopt;
  ChangeEvent removal = update;
  removal.op = 'd';
  removal.key = std::move(old_key).value();
  removal.after.reset();
  removal.new_key = EncodeChangeKey(update);
  return removal;
}

std::vector<eventlog::HeaderView> ChangeHeaders(const ChangeEvent& c, std::string* storage) {
  // storage holds the op and the outbox id, written before any view into it is taken.
  storage->assign(1, c.op);
  if (c.outbox_id) *storage += std::to_string(*c.outbox_id);
  std::vector<eventlog::HeaderView> headers = {
      {"evlog.op", std::string_view(*storage).substr(0, 1)},
      {"evlog.table", c.table},
      {"evlog.source_id", c.source_id},
  };
  if (c.outbox_id) headers.push_back({"evlog.outbox_id", std::string_view(*storage).substr(1)});
  if (c.new_key) headers.push_back({"evlog.new_key", *c.new_key});
  return headers;
}

Result<ChangeEvent> DecodeChangeEnvelope(std::string_view payload) {
  ChangeEvent c;
  bool has_op = false, has_table = false, has_key = false, has_before = false, has_after = false;
  bool has_null_key = false;
  Status s = ForEachMember(payload, 0, [&](const std::string& name, std::string_view raw) {
    std::string text;
    if (name == "op") {
      if (raw.empty() || raw.front() != '"') return Invalid("\"op\" is not a string");
      EVLOG_RETURN_IF_ERROR(DecodeJsonString(raw, 0, &text));
      if (text.size() != 1 || std::string_view("cudrt").find(text[0]) == std::string_view::npos) {
        return Invalid("\"op\" is not one of c, u, d, r, t");
      }
      c.op = text[0];
      has_op = true;
    } else if (name == "table") {
      if (raw.empty() || raw.front() != '"') return Invalid("\"table\" is not a string");
      EVLOG_RETURN_IF_ERROR(DecodeJsonString(raw, 0, &c.table));
      has_table = !c.table.empty();
    } else if (name == "key") {
      // null only for 't' (checked below); {} for a PostgreSQL table without a replica identity.
      if (raw == "null") {
        c.key.clear();
        has_null_key = true;
      } else {
        EVLOG_RETURN_IF_ERROR(DecodeRow(raw, &c.key));
      }
      has_key = true;
    } else if (name == "before") {
      EVLOG_RETURN_IF_ERROR(DecodeOptionalRow(raw, &c.before));
      has_before = true;
    } else if (name == "after") {
      EVLOG_RETURN_IF_ERROR(DecodeOptionalRow(raw, &c.after));
      has_after = true;
    } else if (name == "ts_ms") {
      SqlValue v;
      EVLOG_RETURN_IF_ERROR(DecodeValue(raw, &v));
      if (v.type != SqlValue::Type::kInteger) return Invalid("\"ts_ms\" is not an integer");
      c.ts_ms = v.integer;
    } else if (name == "source") {
      if (raw.empty() || raw.front() != '{') return Invalid("\"source\" is not an object");
      return ForEachMember(raw, 0, [&](const std::string& member, std::string_view value) {
        if (member == "source_id" && !value.empty() && value.front() == '"') {
          return DecodeJsonString(value, 0, &c.source_id);
        }
        if (member == "connector" && !value.empty() && value.front() == '"') {
          return DecodeJsonString(value, 0, &c.connector);
        }
        if (member == "outbox_id") {
          SqlValue v;
          EVLOG_RETURN_IF_ERROR(DecodeValue(value, &v));
          if (v.type != SqlValue::Type::kInteger) return Invalid("\"outbox_id\" is not an integer");
          c.outbox_id = v.integer;
        }
        return Status::Ok();
      });
    }
    return Status::Ok();  // members this version does not know are ignored (§C3)
  });
  if (!s.ok()) {
    if (s.message().starts_with("not a change event")) return s;
    return Invalid(s.message());
  }
  if (!has_op || !has_table || !has_key || !has_before || !has_after) {
    return Invalid("it lacks one of \"op\", \"table\", \"key\", \"before\", \"after\"");
  }
  // Which rows each op carries (§C3, §C7.1); PostgreSQL sends no old row on an update
  // that kept the key, so 'u' may lack "before".
  const bool before_ok = c.op == 'd' ? c.before.has_value() : c.op == 'u' || !c.before.has_value();
  const bool after_ok = (c.op == 'd' || c.op == 't') != c.after.has_value();
  if (!before_ok || !after_ok) {
    return Invalid(fmt::format("op \"{}\" with {} before and {} after", c.op, c.before ? "a" : "no",
                               c.after ? "an" : "no"));
  }
  if (has_null_key != (c.op == 't')) {
    return Invalid(c.op == 't' ? "op \"t\" with a key" : fmt::format("op \"{}\" without a key", c.op));
  }
  return c;
}

}  // namespace evlog
