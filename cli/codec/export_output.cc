#include "codec/export_output.h"

#include "term/file_util.h"
#include "term/interruption.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace evlog {
namespace {

using eventlog::Status;


// mkstemp creates the file with mode 0600; give it what open(2) would have: 0666 & ~umask.
void ApplyUmask(int fd) {
  mode_t mask = umask(0);
  umask(mask);
  (void)fchmod(fd, 0666 & ~mask);
}

}  // namespace

eventlog::Result<std::unique_ptr<ExportOutput>> ExportOutput::Open(const std::optional<std::string>& path) {
  if (!path || *path == "-") {
    return std::unique_ptr<ExportOutput>(new ExportOutput(STDOUT_FILENO, "", ""));
  }
  std::string temp = *path + ".tmp-XXXXXX";
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot create a temporary file next to " + *path);
  ApplyUmask(fd);
  return std::unique_ptr<ExportOutput>(new ExportOutput(fd, *path, name.data()));
}

ExportOutput::ExportOutput(int fd, std::string path, std::string temp_path)
    : fd_(fd), path_(std::move(path)), temp_path_(std::move(temp_path)), out_(std::make_unique<OutputBuffer>(fd)) {}

ExportOutput::~ExportOutput() {
  if (path_.empty()) return;
  close(fd_);
  if (!temp_path_.empty()) unlink(temp_path_.c_str());
}

Status ExportOutput::Commit() {
  if (!out_->Flush()) {
    errno = out_->error();
    return ErrnoStatus(path_.empty() ? "cannot write to stdout" : "cannot write " + temp_path_);
  }
  if (path_.empty()) return Status::Ok();
  if (fsync(fd_) != 0) return ErrnoStatus("cannot fsync " + temp_path_);
  // The fsync of a large file takes a while: a Ctrl-C during it still means "no FILE".
  if (int signal = Interruption()) return Status::Failed("interrupted by signal " + std::to_string(signal));
  if (rename(temp_path_.c_str(), path_.c_str()) != 0) return ErrnoStatus("cannot rename " + temp_path_ + " to " + path_);
  temp_path_.clear();
  return SyncDirectory(ParentDirectory(path_));
}

}  // namespace evlog
