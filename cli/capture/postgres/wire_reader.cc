#include "capture/postgres/wire_reader.h"

#include <fmt/format.h>

namespace evlog::pg {

using eventlog::Status;

namespace {

// The wire is big-endian (network order) for every integer width.
uint64_t BigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<uint8_t>(c);
  return value;
}

}  // namespace

bool WireReader::Need(size_t n, std::string_view field) {
  if (!status_.ok()) return false;
  if (n <= bytes_.size() - offset_) return true;
  status_ = Status::Corruption(fmt::format("{}: {} needs {} bytes at byte {}, only {} left", what_, field, n,
                                           offset_, bytes_.size() - offset_));
  return false;
}

void WireReader::Fail(std::string_view why) {
  if (status_.ok()) status_ = Status::Corruption(fmt::format("{}: {} at byte {}", what_, why, offset_));
}

uint8_t WireReader::U8(std::string_view field) {
  if (!Need(1, field)) return 0;
  return static_cast<uint8_t>(bytes_[offset_++]);
}

int16_t WireReader::I16(std::string_view field) {
  if (!Need(2, field)) return 0;
  offset_ += 2;
  return static_cast<int16_t>(BigEndian(bytes_.substr(offset_ - 2, 2)));
}

uint32_t WireReader::U32(std::string_view field) {
  if (!Need(4, field)) return 0;
  offset_ += 4;
  return static_cast<uint32_t>(BigEndian(bytes_.substr(offset_ - 4, 4)));
}

int32_t WireReader::I32(std::string_view field) { return static_cast<int32_t>(U32(field)); }

uint64_t WireReader::U64(std::string_view field) {
  if (!Need(8, field)) return 0;
  offset_ += 8;
  return BigEndian(bytes_.substr(offset_ - 8, 8));
}

std::string WireReader::CString(std::string_view field) {
  if (!status_.ok()) return {};
  const size_t nul = bytes_.find('\0', offset_);
  if (nul == std::string_view::npos) {
    Fail(fmt::format("{} has no terminating NUL", field));
    return {};
  }
  std::string value(bytes_.substr(offset_, nul - offset_));
  offset_ = nul + 1;
  return value;
}

std::string_view WireReader::Bytes(size_t length, std::string_view field) {
  if (!Need(length, field)) return {};
  offset_ += length;
  return bytes_.substr(offset_ - length, length);
}

std::string_view WireReader::Rest() {
  if (!status_.ok()) return {};
  std::string_view rest = bytes_.substr(offset_);
  offset_ = bytes_.size();
  return rest;
}

bool WireReader::Fits(int64_t count, size_t min_item_bytes, std::string_view field) {
  if (!status_.ok()) return false;
  if (count < 0) {
    Fail(fmt::format("{} is negative ({})", field, count));
    return false;
  }
  // Divides rather than multiplies: count * size could overflow on hostile counts.
  const size_t left = bytes_.size() - offset_;
  if (min_item_bytes == 0 || static_cast<uint64_t>(count) <= left / min_item_bytes) return true;
  Fail(fmt::format("{} of {} cannot fit in the {} bytes left", field, count, left));
  return false;
}

void WireReader::ExpectEnd() {
  if (status_.ok() && offset_ != bytes_.size())
    Fail(fmt::format("{} unexpected trailing bytes", bytes_.size() - offset_));
}

}  // namespace evlog::pg
