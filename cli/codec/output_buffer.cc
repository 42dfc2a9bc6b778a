#include "codec/output_buffer.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace evlog {

OutputBuffer::OutputBuffer(int fd, size_t capacity)
    : fd_(fd), capacity_(std::max(capacity, kMinCapacity)), data_(new char[capacity_]) {}

OutputBuffer::OutputBuffer(BlockSink* sink, size_t capacity)
    : sink_(sink), capacity_(std::max(capacity, kMinCapacity)), data_(new char[capacity_]) {}

void OutputBuffer::AppendDecimal(uint64_t value) {
  char digits[20];
  char* end = digits + sizeof(digits);
  char* p = end;
  do {
    *--p = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  Append(std::string_view(p, static_cast<size_t>(end - p)));
}

void OutputBuffer::AppendDecimal(int64_t value) {
  if (value < 0) {
    Append('-');
    // Negate in unsigned arithmetic so INT64_MIN does not overflow.
    AppendDecimal(uint64_t{0} - static_cast<uint64_t>(value));
  } else {
    AppendDecimal(static_cast<uint64_t>(value));
  }
}

void OutputBuffer::AppendSlow(std::string_view bytes) {
  if (sink_ != nullptr) {  // every byte goes through a block
    while (!bytes.empty() && !failed()) {
      if (size_ == capacity_) Flush();
      const size_t n = std::min(bytes.size(), capacity_ - size_);
      std::memcpy(data_.get() + size_, bytes.data(), n);
      size_ += n;
      bytes.remove_prefix(n);
    }
    return;
  }
  Flush();
  if (bytes.size() >= capacity_) {
    // Larger than the whole buffer: copying it first would only add a pass.
    WriteAll(bytes.data(), bytes.size());
    return;
  }
  std::memcpy(data_.get(), bytes.data(), bytes.size());
  size_ = bytes.size();
}

bool OutputBuffer::Flush() {
  if (sink_ == nullptr) {
    WriteAll(data_.get(), size_);
  } else if (size_ > 0 && error_ == 0 && !sink_->Take(&data_, size_)) {
    error_ = ECANCELED;
  }
  size_ = 0;
  return !failed();
}

void OutputBuffer::WriteThrough(std::string_view bytes) {
  Flush();
  WriteAll(bytes.data(), bytes.size());
}

void OutputBuffer::WriteAll(const char* data, size_t size) {
  while (size > 0 && error_ == 0) {
    ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno != EINTR) error_ = errno;
      continue;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

bool OutputBuffer::PeerClosed() const {
  // With no events requested, poll still reports POLLERR on a pipe without readers.
  pollfd pfd{.fd = fd_, .events = 0, .revents = 0};
  return ::poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP)) != 0;
}

}  // namespace evlog
