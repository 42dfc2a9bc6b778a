# Helpers shared by the replay_*.sh tests, on top of lib.sh.
source "$(dirname "$0")/lib.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Alive and not a zombie (an orphan's zombie may linger where PID 1 does not reap).
is_running() { [[ "$(ps -o stat= -p "$1" 2>/dev/null)" =~ ^[^Z] ]]; }

# The summary replay prints on stderr when it ends.
SUMMARY_RE='evlog: replay: [0-9]+ delivered, [0-9]+ retried, [0-9]+ dead-lettered in [0-9]+\.[0-9]{2}s'
