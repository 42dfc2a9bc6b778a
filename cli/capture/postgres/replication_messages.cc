#include "capture/postgres/replication_messages.h"

#include <charconv>

#include <fmt/format.h>

#include "capture/postgres/wire_reader.h"

namespace evlog::pg {

using eventlog::Result;
using eventlog::Status;

namespace {

void PutU64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

Result<uint32_t> ParseHex32(std::string_view text, std::string_view whole) {
  uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (text.empty() || text.size() > 8 || error != std::errc() || end != text.data() + text.size())
    return Status::InvalidArgument(fmt::format("not an LSN (X/Y in hex): {}", whole));
  return value;
}

}  // namespace

Result<ServerCopyData> DecodeServerCopyData(std::string_view bytes) {
  if (bytes.empty()) return Status::Corruption("replication CopyData: empty");
  const char tag = bytes[0];
  if (tag == 'w') {
    WireReader in(bytes, "replication XLogData");
    in.U8("type");
    XLogData m;
    m.wal_start = in.U64("WAL start");
    m.wal_end = in.U64("WAL end");
    m.server_time = in.I64("server time");
    m.payload = in.Rest();
    if (!in.ok()) return in.status();
    return ServerCopyData(m);
  }
  if (tag == 'k') {
    WireReader in(bytes, "replication keepalive");
    in.U8("type");
    PrimaryKeepalive m;
    m.wal_end = in.U64("WAL end");
    m.server_time = in.I64("server time");
    m.reply_requested = in.U8("reply requested") != 0;
    in.ExpectEnd();
    if (!in.ok()) return in.status();
    return ServerCopyData(m);
  }
  return Status::Corruption(
      fmt::format("replication CopyData: unknown message type 0x{:02x}", static_cast<uint8_t>(tag)));
}

std::string EncodeStandbyStatus(const StandbyStatus& status) {
  std::string out;
  out.reserve(1 + 4 * 8 + 1);
  out.push_back('r');
  PutU64(out, status.written);
  PutU64(out, status.flushed);
  PutU64(out, status.applied);
  PutU64(out, static_cast<uint64_t>(status.client_time));
  out.push_back(status.reply_requested ? 1 : 0);
  return out;
}

std::string FormatLsn(Lsn lsn) { return fmt::format("{:X}/{:X}", lsn >> 32, lsn & 0xffffffffu); }

Result<Lsn> ParseLsn(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return Status::InvalidArgument(fmt::format("not an LSN (X/Y in hex): {}", text));
  EVLOG_ASSIGN_OR_RETURN(uint32_t high, ParseHex32(text.substr(0, slash), text));
  EVLOG_ASSIGN_OR_RETURN(uint32_t low, ParseHex32(text.substr(slash + 1), text));
  return (static_cast<Lsn>(high) << 32) | low;
}

}  // namespace evlog::pg
