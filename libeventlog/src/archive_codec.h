// The archive's pieces (format-spec §12), shared by ArchiveWriter and ArchiveReader: the
// 96-byte header, event entries and the validity rules of the header fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eventlog/archive.h"

namespace eventlog {

// The header fields' own rules (§12.2): limits in format-spec §3's ranges, from_offset <=
// end_offset, at most end_offset - from_offset events, a 32-digit hex log id.
Status ValidateArchiveInfo(const ArchiveInfo& info);

std::string EncodeArchiveHeader(const ArchiveInfo& info);
// Decodes and checks a complete 96-byte header: magic, checksum, version, flags, fields.
Result<ArchiveInfo> DecodeArchiveHeader(std::string_view bytes);

// Appends the entry for `event`, its entry_length varint included (§12.3).
void AppendArchiveEntry(std::string* out, const Event& event);
// Decodes the bytes after an entry_length varint; the views point into `entry`. False if
// the fields do not fill the entry exactly as §12.3 requires.
bool DecodeArchiveEntry(std::string_view entry, Event* event, std::vector<HeaderView>* headers);

}  // namespace eventlog
