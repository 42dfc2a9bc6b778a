// SIGINT and SIGTERM for commands that must clean up before they die (import's temporary
// log directory, export's temporary file): the signal is recorded, the command stops at its
// next check, removes what it made, and then dies of the signal as if it had not caught it.
#pragma once

namespace evlog {

// Catches SIGINT and SIGTERM for the rest of the process, without SA_RESTART, so that a
// read blocked on a stalled producer returns (EINTR) and the command can stop.
void CatchInterruptions();
// The SIGINT or SIGTERM received since, or 0.
int Interruption();
// Waits until fd has something to read (data, end of input or an error: read() then returns
// at once) or SIGINT or SIGTERM has been received. Returns the signal, or 0 when fd is ready.
// A signal that arrives just before the wait ends it too: checking Interruption() and then
// calling a blocking read() would sleep through such a signal, for as long as the input stalls.
int WaitForInputOrInterruption(int fd);
// Blocks (true) or unblocks (false) SIGINT and SIGTERM: around a final commit that must
// not be cut in the middle.
void HoldInterruptions(bool hold);
// Dies of the signal received, as if it had not been caught: exit status 128 + N.
[[noreturn]] void ReraiseInterruption();

}  // namespace evlog
