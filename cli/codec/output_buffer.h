// Buffered output straight to a file descriptor with write(2): no iostreams, no locale, no
// per-event allocation. Appends are a bounds check and a memcpy; the buffer is written out
// when full and whenever the caller calls Flush(). A buffer made with a BlockSink instead
// hands its full blocks over, unwritten: how a thread prints for another one to write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace evlog {

// Takes the blocks of an OutputBuffer that writes to no file descriptor.
class BlockSink {
 public:
  virtual ~BlockSink() = default;
  // Takes the first `size` bytes of *block (size > 0), leaving in *block an empty block of
  // the same capacity (a swap, not a copy). False: stop, the output is no longer wanted.
  virtual bool Take(std::unique_ptr<char[]>* block, size_t size) = 0;
};

class OutputBuffer {
 public:
  static constexpr size_t kDefaultCapacity = 1 << 20;
  // A smaller capacity is raised to this: Reserve must be able to hold one byte's
  // worst-case JSON escape (\u00XX).
  static constexpr size_t kMinCapacity = 6;

  explicit OutputBuffer(int fd, size_t capacity = kDefaultCapacity);
  // Full blocks go to `sink` (which must outlive the buffer); failed() once it said stop.
  explicit OutputBuffer(BlockSink* sink, size_t capacity = kDefaultCapacity);
  OutputBuffer(const OutputBuffer&) = delete;
  OutputBuffer& operator=(const OutputBuffer&) = delete;

  void Append(std::string_view bytes) {
    if (bytes.empty()) return;  // an empty view may carry a null pointer, which memcpy must not get
    if (bytes.size() <= capacity_ - size_) {
      std::memcpy(data_.get() + size_, bytes.data(), bytes.size());
      size_ += bytes.size();
    } else {
      AppendSlow(bytes);
    }
  }
  void Append(char c) {
    if (size_ == capacity_) Flush();
    data_[size_++] = c;
  }
  // For writers that produce their bytes in place: room for n bytes (at most capacity()),
  // flushing first if needed. Write up to n bytes at the pointer, then Commit how many.
  char* Reserve(size_t n) {
    if (capacity_ - size_ < n) Flush();
    return data_.get() + size_;
  }
  void Commit(size_t n) { size_ += n; }
  size_t capacity() const { return capacity_; }
  void AppendDecimal(uint64_t value);
  void AppendDecimal(int64_t value);
  // Writes what is buffered, then `bytes` without copying them into the buffer: for bytes
  // that are already a block of output. Only for a buffer with a file descriptor.
  void WriteThrough(std::string_view bytes);

  // Writes everything buffered. Returns false once any write has failed: from then on
  // output is dropped and error() holds the errno (EPIPE when the reader went away).
  bool Flush();
  bool failed() const { return error_ != 0; }
  int error() const { return error_; }

  // True if fd is a pipe or socket whose reading end is closed, found without writing.
  // Lets a follower that is waiting for events notice `| head` exiting.
  bool PeerClosed() const;

 private:
  void AppendSlow(std::string_view bytes);
  void WriteAll(const char* data, size_t size);

  int fd_ = -1;
  BlockSink* sink_ = nullptr;
  size_t capacity_;
  size_t size_ = 0;
  int error_ = 0;
  std::unique_ptr<char[]> data_;
};

}  // namespace evlog
