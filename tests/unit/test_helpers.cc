#include "test_helpers.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "format.h"
#include "frame.h"
#include "segment.h"

namespace eventlog::test {

TestLog::TestLog(LogLimits limits) : limits_(limits) {
  REQUIRE(fs_.CreateDir(kDir).ok());
  auto log = Log::Open(kDir, {.create_if_missing = true, .limits = limits_, .fs = &fs_});
  REQUIRE_MESSAGE(log.has_value(), log.status().message());
  log_ = std::move(log).value();
}

Status TestLog::Reopen() {
  log_.reset();
  auto log = Log::Open(kDir, {.fs = &fs_});
  if (!log) return log.status();
  log_ = std::move(log).value();
  return Status::Ok();
}

Result<AppendResult> TestLog::Append(const std::vector<std::string>& payloads, AppendOptions options) {
  Batch batch = log_->NewBatch();
  for (const std::string& p : payloads) EVLOG_RETURN_IF_ERROR(batch.Add({.payload = p}));
  return log_->Append(batch, options);
}

Result<std::vector<ReadEvent>> ReadFrom(Reader& reader) {
  std::vector<ReadEvent> out;
  Event e;
  while (true) {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader.Next(&e));
    if (!more) break;
    ReadEvent r{e.offset, e.timestamp_ns, std::nullopt, {}, std::string(e.payload)};
    if (e.key) r.key = std::string(*e.key);
    for (const HeaderView& h : e.headers) r.headers.emplace_back(h.name, h.value);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<ReadEvent>> TestLog::ReadAll() {
  EVLOG_ASSIGN_OR_RETURN(auto reader, log_->NewReader());
  return ReadFrom(*reader);
}

std::vector<std::string> TestLog::Payloads() {
  auto events = ReadAll();
  REQUIRE_MESSAGE(events.has_value(), events.status().message());
  std::vector<std::string> out;
  for (const ReadEvent& e : *events) out.push_back(e.payload);
  return out;
}

std::string TestLog::SegmentPath(uint64_t base) const { return std::string(kDir) + "/" + SegmentFileName(base); }

LogId TestLog::id() const {
  auto meta = DecodeMeta(Contents(std::string(kDir) + "/META"), "META");
  REQUIRE_MESSAGE(meta.has_value(), meta.status().message());
  return meta->log_id;
}

std::string TestLog::Contents(const std::string& path) const {
  auto data = fs_.Contents(path);
  REQUIRE_MESSAGE(data.has_value(), path);
  return *data;
}

void TestLog::FlipBit(const std::string& path, uint64_t bit) {
  std::string data = Contents(path);
  REQUIRE(bit / 8 < data.size());
  data[bit / 8] = static_cast<char>(data[bit / 8] ^ (1 << (bit % 8)));
  fs_.SetContents(path, data);
}

void TestLog::BreakFirstRecordKeepingChecksums() {
  std::string data = Contents(SegmentPath(0));
  uint64_t previous = 0;
  for (uint64_t pos = format::segment::kHeaderSize; pos + format::frame::kHeaderSize <= data.size();) {
    FrameHeader h;
    std::string why;
    ParseFrame(data, pos, /*check_body=*/false, &h, &why);  // fills h whatever it returns
    if (h.length < format::frame::kHeaderSize) break;
    char* frame = data.data() + pos;
    if (pos == format::segment::kHeaderSize) {
      frame[format::frame::kHeaderSize] = static_cast<char>(0x7f);  // the record's length prefix: past the body
    } else {
      h.prev_checksum = previous;
    }
    EncodeFrameHeader(&h, std::string_view(frame + format::frame::kHeaderSize, h.length - format::frame::kHeaderSize),
                      frame);
    previous = h.checksum;
    pos += h.aligned_length();
  }
  fs_.SetContents(SegmentPath(0), data);
  HeadRecord head;
  REQUIRE(DecodeHead(Contents(HeadPath()), id(), &head));
  head.last_checksum = previous;
  fs_.SetContents(HeadPath(), EncodeHead(head, id()));
}

std::string HeadPath() { return std::string(TestLog::kDir) + "/HEAD"; }

std::vector<std::string> BatchPayloads(int i, size_t filler) {
  std::vector<std::string> out;
  for (int j = 0; j <= i % 3; ++j) out.push_back(fmt::format("b{}.{}:{}", i, j, std::string(filler, 'x')));
  return out;
}

void ReopenAfterCrash(TestLog& t, bool power_loss) {
  power_loss ? t.fs().SimulatePowerLoss() : t.fs().SimulateProcessCrash();
  REQUIRE(t.Reopen().ok());
  Status recovered = t.log().Recover();
  REQUIRE_MESSAGE(recovered.ok(), recovered.message());
}

std::vector<std::string> Numbered(const std::string& prefix, int from, int count) {
  std::vector<std::string> out;
  for (int i = from; i < from + count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

}  // namespace eventlog::test
