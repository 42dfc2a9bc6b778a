// Secrets (passwords, tokens, keys) come from files, never from the command line, where any
// user of the machine can read them with ps. These read them and keep them out of messages.
#pragma once

#include <string>
#include <string_view>

#include "eventlog/status.h"

namespace evlog {

// The content of `path` without its final line breaks (as `echo secret > file` leaves it).
// Errors name the file, never its content. Refuses files over 64 KiB: a secret is short,
// and a mistyped path to a large file should not be read whole into memory.
eventlog::Result<std::string> ReadSecretFile(const std::string& path);

// A -X value: "@FILE" is the content of FILE (ReadSecretFile), "@@..." the literal
// "@...", anything else itself.
eventlog::Result<std::string> ResolvePropertyValue(std::string_view value);
// Whether ResolvePropertyValue() reads `value` from a file ("@FILE", not "@@...").
bool NamesSecretFile(std::string_view value);

}  // namespace evlog
