// Why evlog is two programs. The connector subcommands (capture, apply, bridge) need SQLite,
// libpq, librdkafka and libnats, and through them GnuTLS, OpenSSL, Kerberos and LDAP, whose
// loading and initialisation cost about 30 ms of CPU at every start: an empty program linked
// to them takes 37 ms, 9 ms without them, and `evlog append` of one event otherwise takes
// less than that in all. So `evlog` is linked without them, and once its command line
// parses as one of those subcommands it replaces itself with evlog-connectors, the same
// main() with the connectors linked in, by execv: same pid, arguments, descriptors, signal
// dispositions and exit status, so that scripts, `kill` and process supervisors cannot tell.
// Both programs parse with the same CLI11 definitions (the *_command.cc of each connector
// holds only those), so help, completion and usage errors never need the second program.
#pragma once

namespace evlog {

// Runs evlog-connectors with `argv` (evlog's own arguments, unchanged). It is looked for next
// to the running program (the build tree), then in its installed place relative to it
// (EVLOG_CONNECTORS_DIR, libexec/evlog). Returns only on failure, after printing an error
// naming the places looked in: kExitError.
int HandOffToConnectors(const char* subcommand, char** argv);

}  // namespace evlog
