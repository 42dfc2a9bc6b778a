#include "codec/import_scratch.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "term/file_util.h"
#include "term/report.h"

namespace evlog {
namespace {

using eventlog::Status;

// A leftover this recent may belong to an importer between mkdtemp and flock.
constexpr time_t kStaleAfterSeconds = 10;


std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Removes `path` if no live importer holds its lock and it has not changed lately.
void RemoveIfStale(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  const bool stale = fstat(fd, &st) == 0 && st.st_mtime + kStaleAfterSeconds < time(nullptr) &&
                     flock(fd, LOCK_EX | LOCK_NB) == 0;
  if (stale) {
    std::error_code error;
    std::filesystem::remove_all(path, error);
    PrintNote("import", error ? fmt::format("note: cannot remove {}, left by an import that was killed: {}", path,
                                             error.message())
                               : fmt::format("note: removed {}, left by an import that was killed", path));
  }
  close(fd);
}

void RemoveStaleLeftovers(const std::string& log_dir) {
  const std::string parent = ParentDirectory(log_dir);
  const std::string prefix = BaseName(log_dir) + ".import-";
  DIR* dir = opendir(parent.c_str());
  if (dir == nullptr) return;
  std::vector<std::string> found;
  while (const dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name.size() == prefix.size() + 6 && name.starts_with(prefix)) found.push_back(parent + "/" + name);
  }
  closedir(dir);
  for (const std::string& path : found) RemoveIfStale(path);
}

}  // namespace

eventlog::Result<ScratchDir> ScratchDir::Create(const std::string& log_dir) {
  RemoveStaleLeftovers(log_dir);
  std::string pattern = log_dir + ".import-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return ErrnoStatus("cannot create a temporary directory next to " + log_dir);
  ScratchDir scratch(pattern, open(pattern.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (scratch.lock_fd_ < 0 || flock(scratch.lock_fd_, LOCK_EX) != 0) return ErrnoStatus("cannot lock " + pattern);
  const mode_t mask = umask(0);
  umask(mask);
  if (fchmod(scratch.lock_fd_, 0755 & ~mask) != 0) return ErrnoStatus("cannot set the mode of " + pattern);
  return scratch;
}

ScratchDir::ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)), lock_fd_(other.lock_fd_) {
  other.path_.clear();
  other.lock_fd_ = -1;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  if (lock_fd_ >= 0) close(lock_fd_);
}

}  // namespace evlog
