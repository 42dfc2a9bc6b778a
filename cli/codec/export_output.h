// Where `evlog export` writes: standard output, or FILE replaced atomically. A FILE is
// written to a temporary sibling (FILE.tmp-XXXXXX, so that rename(2) stays within one file
// system), fsynced, renamed over FILE and its directory fsynced: FILE is either the old
// file or the complete new one, even across a crash, and a failed or interrupted (SIGINT,
// SIGTERM: term/interruption.h) export leaves no trace.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "eventlog/status.h"
#include "codec/output_buffer.h"

namespace evlog {

class ExportOutput {
 public:
  // nullopt or "-": standard output.
  static eventlog::Result<std::unique_ptr<ExportOutput>> Open(const std::optional<std::string>& path);
  ~ExportOutput();  // removes the temporary file unless Commit() succeeded
  ExportOutput(const ExportOutput&) = delete;
  ExportOutput& operator=(const ExportOutput&) = delete;

  OutputBuffer& out() { return *out_; }
  bool to_stdout() const { return path_.empty(); }

  // Flushes; for a FILE also fsync, rename and directory fsync. kIOError naming the step.
  eventlog::Status Commit();

 private:
  ExportOutput(int fd, std::string path, std::string temp_path);

  int fd_;
  std::string path_;       // empty: stdout
  std::string temp_path_;  // empty once renamed
  std::unique_ptr<OutputBuffer> out_;
};

}  // namespace evlog
