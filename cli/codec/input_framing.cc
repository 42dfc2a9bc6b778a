#include "codec/input_framing.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace evlog {

RecordSplitter::RecordSplitter(int fd, Framing framing, size_t max_record_bytes)
    : fd_(fd),
      framing_(framing),
      max_record_bytes_(max_record_bytes),
      data_(new char[2 * kReadChunk]),
      capacity_(2 * kReadChunk) {}

bool RecordSplitter::TakeRecord(size_t end, size_t next_begin, InputRecord* record) {
  if (skipping_ || end - begin_ > max_record_bytes_) {
    *record = {.bytes = {}, .size = skipped_ + (end - begin_), .too_large = true};
    skipping_ = false;
    skipped_ = 0;
  } else {
    *record = {.bytes = {data_.get() + begin_, end - begin_}, .size = end - begin_};
  }
  begin_ = scanned_ = next_begin;
  return true;
}

bool RecordSplitter::TakeLastRecord(InputRecord* record) {
  done_ = true;
  if (begin_ == end_ && !skipping_ && framing_ != Framing::kRaw) return false;
  return TakeRecord(end_, end_, record);
}

bool RecordSplitter::NextBuffered(InputRecord* record) {
  if (done_) return false;
  if (framing_ != Framing::kRaw) {
    char delimiter = framing_ == Framing::kNul ? '\0' : '\n';
    const char* base = data_.get();
    const void* found = std::memchr(base + scanned_, delimiter, end_ - scanned_);
    if (found != nullptr) {
      size_t at = static_cast<size_t>(static_cast<const char*>(found) - base);
      return TakeRecord(at, at + 1, record);
    }
  }
  scanned_ = end_;
  if (end_ - begin_ > max_record_bytes_) {
    // Too large to be an event: drop the bytes, keep only their count for the error.
    skipped_ += end_ - begin_;
    skipping_ = true;
    begin_ = scanned_ = end_;
  }
  return eof_ ? TakeLastRecord(record) : false;
}

eventlog::Status RecordSplitter::Fill() {
  // The caller is done with every record handed out, so the bytes before begin_ are free.
  if (begin_ > 0) {
    std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
    scanned_ -= begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  if (capacity_ - end_ < kReadChunk) {
    size_t capacity = std::max(2 * capacity_, end_ + kReadChunk);
    std::unique_ptr<char[]> data(new char[capacity]);
    std::memcpy(data.get(), data_.get(), end_);
    data_ = std::move(data);
    capacity_ = capacity;
  }
  for (;;) {
    ssize_t n = ::read(fd_, data_.get() + end_, capacity_ - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
    } else if (n == 0) {
      eof_ = true;
    } else if (errno == EINTR) {
      continue;
    } else {
      return eventlog::Status::IOError(std::string("cannot read the input: ") +
                                       std::strerror(errno));
    }
    return eventlog::Status::Ok();
  }
}

bool RecordSplitter::InputPending() const {
  pollfd pfd{.fd = fd_, .events = POLLIN, .revents = 0};
  return ::poll(&pfd, 1, 0) == 1;
}

}  // namespace evlog
