// The replication stream as `capture postgres` reads it from the network
// (cli/capture/postgres/): DecodeServerCopyData, DecodePgoutput on each XLogData payload,
// and the TransactionAssembler over the whole sequence.
//
// Input: CopyData payloads, each preceded by its length as a big-endian uint16 (a short
// last one is taken as it is).
// Properties beyond not crashing:
//   - every error is kCorruption (the bytes' fault), never another code;
//   - a decoded message holds no more columns, values or relation ids than its bytes could
//     encode, and no value longer than its bytes;
//   - a completed transaction holds no more changes than the input had messages.
#include <cstdint>
#include <string_view>

#include "capture/postgres/pgoutput.h"
#include "capture/postgres/replication_messages.h"
#include "capture/postgres/transaction_assembler.h"
#include "fuzz_check.h"

namespace evlog::pg {
namespace {

size_t TupleBytes(const PgTuple& tuple) {
  size_t bytes = 0;
  for (const PgValue& value : tuple) bytes += 1 + value.text.size();
  return bytes;
}

void CheckBounded(const PgoutputMessage& message, size_t size) {
  if (auto* relation = std::get_if<PgRelation>(&message)) FUZZ_CHECK(relation->columns.size() * 10 <= size);
  if (auto* insert = std::get_if<PgInsert>(&message)) FUZZ_CHECK(TupleBytes(insert->row) <= size);
  if (auto* update = std::get_if<PgUpdate>(&message))
    FUZZ_CHECK(TupleBytes(update->old_row) + TupleBytes(update->new_row) <= size);
  if (auto* erase = std::get_if<PgDelete>(&message)) FUZZ_CHECK(TupleBytes(erase->old_row) <= size);
  if (auto* truncate = std::get_if<PgTruncate>(&message)) FUZZ_CHECK(truncate->relation_ids.size() * 4 <= size);
}

}  // namespace
}  // namespace evlog::pg

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evlog::pg;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  TransactionAssembler assembler;
  size_t messages = 0;
  while (!input.empty()) {
    size_t length = input.size() < 2 ? input.size() : (static_cast<uint8_t>(input[0]) << 8) | static_cast<uint8_t>(input[1]);
    input.remove_prefix(input.size() < 2 ? 0 : 2);
    length = std::min(length, input.size());
    const std::string_view copy_data = input.substr(0, length);
    input.remove_prefix(length == 0 && !input.empty() ? 1 : length);
    messages++;
    auto server = DecodeServerCopyData(copy_data);
    if (!server.has_value()) {
      FUZZ_CHECK(server.error().code() == eventlog::StatusCode::kCorruption);
      continue;
    }
    auto* xlog = std::get_if<XLogData>(&*server);
    if (xlog == nullptr) continue;
    auto decoded = DecodePgoutput(xlog->payload);
    if (!decoded.has_value()) {
      FUZZ_CHECK(decoded.error().code() == eventlog::StatusCode::kCorruption);
      continue;
    }
    CheckBounded(*decoded, xlog->payload.size());
    auto added = assembler.Add(std::move(*decoded));
    if (!added.has_value()) {
      FUZZ_CHECK(added.error().code() == eventlog::StatusCode::kCorruption);
      continue;
    }
    if (added->has_value()) FUZZ_CHECK((*added)->changes.size() <= messages);
  }
  return 0;
}
