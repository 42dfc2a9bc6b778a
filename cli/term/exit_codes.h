// Exit statuses of evlog, part of its interface: scripts branch on them, and the man page
// (man/evlog.1, EXIT STATUS) lists them. Keep the two in step.
#pragma once

namespace evlog {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;       // any failure not listed below
inline constexpr int kExitUsage = 2;       // bad command line (CLI11 would use 100+)
inline constexpr int kExitConflict = 3;    // --expect-next did not match: nothing appended; replay -g: the group was moved back
inline constexpr int kExitCorruption = 4;  // the log failed validation while reading
inline constexpr int kExitUndeliverable = 5;  // replay: an event could not be delivered

}  // namespace evlog
