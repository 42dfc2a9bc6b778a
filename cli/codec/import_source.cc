#include "codec/import_source.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <charconv>

#include <fmt/format.h>

#include "codec/event_builder.h"
#include "term/interruption.h"
#include "codec/json_scan.h"
#include "codec/time_parse.h"

namespace evlog {
namespace {

using eventlog::Result;
using eventlog::Status;

constexpr size_t kReadChunk = 1 << 20;
constexpr std::string_view kArchivePrefix = "EVLOG";  // shared by every evlog magic

// Reads from fd, handing out the bytes already peeked at first.
class PeekedInput {
 public:
  PeekedInput(int fd, std::string peeked) : fd_(fd), peeked_(std::move(peeked)) {}

  Result<size_t> Read(char* out, size_t n) {
    if (at_ < peeked_.size()) {
      size_t take = std::min(n, peeked_.size() - at_);
      std::memcpy(out, peeked_.data() + at_, take);
      at_ += take;
      return take;
    }
    while (true) {
      if (int signal = WaitForInputOrInterruption(fd_)) {
        return Status::Failed(fmt::format("interrupted by signal {}", signal));
      }
      ssize_t got = ::read(fd_, out, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR) return Status::IOError(std::string("cannot read the input: ") + std::strerror(errno));
    }
  }

 private:
  int fd_;
  std::string peeked_;
  size_t at_ = 0;
};

class ArchiveSource final : public ImportSource {
 public:
  static Result<std::unique_ptr<ImportSource>> Open(std::unique_ptr<PeekedInput> input) {
    PeekedInput* in = input.get();
    EVLOG_ASSIGN_OR_RETURN(auto reader, eventlog::ArchiveReader::Open(
                                            [in](std::span<char> buffer) { return in->Read(buffer.data(), buffer.size()); }));
    return std::unique_ptr<ImportSource>(new ArchiveSource(std::move(input), std::move(reader)));
  }

  Result<bool> Next(ImportEvent* e) override {
    EVLOG_ASSIGN_OR_RETURN(bool more, reader_->Next(&event_));
    if (!more) return false;
    e->event = {event_.key, event_.headers, event_.payload};
    e->offset = event_.offset;
    e->timestamp_ns = event_.timestamp_ns;
    return true;
  }

  Result<std::vector<eventlog::GroupInfo>> Finish() override { return reader_->Finish(); }
  const eventlog::ArchiveInfo* archive() const override { return &reader_->info(); }

 private:
  ArchiveSource(std::unique_ptr<PeekedInput> input, std::unique_ptr<eventlog::ArchiveReader> reader)
      : input_(std::move(input)), reader_(std::move(reader)) {}

  std::unique_ptr<PeekedInput> input_;
  std::unique_ptr<eventlog::ArchiveReader> reader_;
  eventlog::Event event_;
};

class JsonSource final : public ImportSource {
 public:
  JsonSource(std::unique_ptr<PeekedInput> input, size_t max_line_bytes)
      : input_(std::move(input)), max_line_bytes_(max_line_bytes), builder_({.json = true, .key_delimiter = "", .headers = {}}) {}

  Result<bool> Next(ImportEvent* e) override {
    std::string_view line;
    do {
      EVLOG_ASSIGN_OR_RETURN(bool more, NextLine(&line));
      if (!more) return false;
      ++line_number_;
    } while (builder_.Skips(line));
    auto at_line = [&](const Status& s) { return Status(s.code(), fmt::format("line {}: {}", line_number_, s.message())); };
    if (Status s = builder_.Build(line, &e->event); !s.ok()) return at_line(s);
    if (Status s = ReadEnvelopePosition(line, &e->offset, &e->timestamp_ns); !s.ok()) return at_line(s);
    return true;
  }

  Result<std::vector<eventlog::GroupInfo>> Finish() override { return std::vector<eventlog::GroupInfo>{}; }
  const eventlog::ArchiveInfo* archive() const override { return nullptr; }

 private:
  // The next line without its newline; an unterminated last line counts. The buffer is
  // compacted only when more input is needed, once per chunk rather than once per line.
  Result<bool> NextLine(std::string_view* line) {
    size_t scanned = begin_;
    while (true) {
      size_t newline = buffer_.find('\n', scanned);
      if (newline != std::string::npos) {
        *line = std::string_view(buffer_.data() + begin_, newline - begin_);
        begin_ = newline + 1;
        return true;
      }
      if (buffer_.size() - begin_ > max_line_bytes_) {
        return Status::InvalidArgument(fmt::format(
            "line {}: longer than {} bytes, more than any event of the log needs", line_number_ + 1, max_line_bytes_));
      }
      if (eof_) {
        *line = std::string_view(buffer_.data() + begin_, buffer_.size() - begin_);
        const bool any = begin_ < buffer_.size();
        begin_ = buffer_.size();
        return any;
      }
      buffer_.erase(0, begin_);
      begin_ = 0;
      scanned = buffer_.size();
      buffer_.resize(scanned + kReadChunk);
      EVLOG_ASSIGN_OR_RETURN(size_t got, input_->Read(buffer_.data() + scanned, kReadChunk));
      buffer_.resize(scanned + got);
      eof_ = got == 0;
    }
  }

  std::unique_ptr<PeekedInput> input_;
  size_t max_line_bytes_;
  EventBuilder builder_;
  std::string buffer_;
  size_t begin_ = 0;  // start of the next line in buffer_
  bool eof_ = false;
  uint64_t line_number_ = 0;
};

// Up to `n` bytes from the start of the input, fewer only at its end.
Result<std::string> Peek(int fd, size_t n) {
  std::string bytes(n, '\0');
  size_t got = 0;
  PeekedInput raw(fd, "");
  while (got < n) {
    EVLOG_ASSIGN_OR_RETURN(size_t r, raw.Read(bytes.data() + got, n - got));
    if (r == 0) break;
    got += r;
  }
  bytes.resize(got);
  return bytes;
}

}  // namespace

Result<std::unique_ptr<ImportSource>> ImportSource::Open(int fd, size_t max_line_bytes) {
  EVLOG_ASSIGN_OR_RETURN(std::string head, Peek(fd, 8));
  if (head.empty()) return Status::InvalidArgument("the input is empty: nothing to import");
  auto input = std::make_unique<PeekedInput>(fd, head);
  // Anything that starts like an evlog file goes to the archive reader, which tells a
  // damaged archive from a foreign file (a segment, an archive of another version).
  const size_t n = std::min(head.size(), kArchivePrefix.size());
  if (head.substr(0, n) == kArchivePrefix.substr(0, n)) return ArchiveSource::Open(std::move(input));
  const size_t text = head.find_first_not_of(" \t\r\n");
  if (text != std::string::npos && head[text] != '{') {
    return Status::InvalidArgument("the input is neither an evlog archive nor JSON envelopes (one object per line)");
  }
  return std::unique_ptr<ImportSource>(new JsonSource(std::move(input), max_line_bytes));
}

Status ReadEnvelopePosition(std::string_view json, std::optional<uint64_t>* offset, int64_t* timestamp_ns) {
  *offset = std::nullopt;
  std::string_view o, t;
  EVLOG_RETURN_IF_ERROR(ForEachMember(json, 0, [&](const std::string& name, std::string_view raw) {
    if (name == "offset") o = raw;
    if (name == "timestamp") t = raw;
    return Status::Ok();
  }));
  if (o.empty() || t.empty() || o == "null" || t == "null") return Status::Ok();
  // Digits only, below 2^64: what tail --json writes (not 7.0, -1 or 1e3).
  uint64_t value = 0;
  auto [end, error] = std::from_chars(o.data(), o.data() + o.size(), value);
  if (o[0] == '-' || error != std::errc() || end != o.data() + o.size()) {
    return Status::InvalidArgument(fmt::format("offset must be an unsigned integer below 2^64, not {}",
                                               o.size() <= 24 ? std::string(o) : std::string(JsonKind(o))));
  }
  // RFC 3339 only (2026-11-29T21:33:54.123456789Z): not the relative forms of --since.
  std::string text;
  if (t[0] == '"' && t.size() <= 64) EVLOG_RETURN_IF_ERROR(DecodeJsonString(t, static_cast<size_t>(t.data() - json.data()), &text));
  std::optional<int64_t> ns = ParseRfc3339(text);
  if (!ns) {
    return Status::InvalidArgument(fmt::format("timestamp must be an RFC 3339 time, not {}",
                                               t.size() <= 40 ? std::string(t) : std::string(JsonKind(t))));
  }
  *offset = value;
  *timestamp_ns = *ns;
  return Status::Ok();
}

}  // namespace evlog
