// SIGBUS from a mapped file of the log, as an error message instead of a crash.
//
// evlog maps LOG/QUEUE (memory that appending processes share, format-spec §6.8), and
// segments for spans too large to read into a buffer. If another program cuts such a file
// short while it is mapped (`: > LOG/QUEUE`, a restore that rewrites the directory), the
// next touch of a page beyond the new end raises SIGBUS, which would kill the process with
// a core dump and no word of what happened. Stopping there is right (the process is as if
// killed at that instruction, which every write path is designed for); dying silently is
// not.
#pragma once

namespace evlog {

// For the rest of the process: a SIGBUS from a mapped file (BUS_ADRERR: a page past the
// file's end, or one the device failed to read) writes a message to stderr and exits with
// status 1 (kExitError); any other SIGBUS (sent by kill, a misaligned access) is left to
// kill the process as before.
void ReportMappingFaults();

}  // namespace evlog
