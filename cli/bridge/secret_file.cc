#include "bridge/secret_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>


namespace evlog {

using eventlog::Result;
using eventlog::Status;

namespace {
constexpr std::streamsize kMaxSecretBytes = 64 * 1024;
}

Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::IOError(fmt::format("cannot read the secret file {}: {}", path, std::strerror(errno)));
  std::string content(kMaxSecretBytes + 1, '\0');
  file.read(content.data(), kMaxSecretBytes + 1);
  if (file.bad()) return Status::IOError(fmt::format("cannot read the secret file {}", path));
  content.resize(file.gcount());
  if (content.size() > kMaxSecretBytes) {
    return Status::InvalidArgument(fmt::format("{} is larger than 64 KiB: not a secret file", path));
  }
  while (content.ends_with('\n') || content.ends_with('\r')) content.pop_back();
  return content;
}

bool NamesSecretFile(std::string_view value) { return value.starts_with('@') && !value.starts_with("@@"); }

Result<std::string> ResolvePropertyValue(std::string_view value) {
  if (NamesSecretFile(value)) return ReadSecretFile(std::string(value.substr(1)));
  if (value.starts_with('@')) return std::string(value.substr(1));  // "@@..." is "@..."
  return std::string(value);
}

}  // namespace evlog
