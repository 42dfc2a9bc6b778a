# Shared helpers for the evlog CLI tests. Each test script sources this file and is run by
# ctest as `bash SCRIPT PATH/TO/evlog`.
set -euo pipefail

EVLOG=${1:?usage: $0 PATH/TO/evlog}
# Under the sanitizers (scripts/test) every evlog process spends about 0.15 s registering
# its globals with ASan and scanning for leaks at exit, and these tests start thousands of
# processes: both are off here. Memory errors and UB are still caught in every process;
# leaks and global overflows are checked by the unit tests in process and, for every
# subcommand, by leaks.sh, which turns both back on.
if [[ -n "${ASAN_OPTIONS:-}" ]]; then export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0:report_globals=0"; fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/evlog-cli-test.XXXXXX")
BACKGROUND_PIDS=()
# Background processes must be started as "$EVLOG" (not via the evlog function, which
# would put a subshell between $! and the process) and recorded in BACKGROUND_PIDS.
cleanup() {
  for pid in "${BACKGROUND_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

evlog() { "$EVLOG" "$@"; }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
  if [[ "$1" != "$2" ]]; then
    fail "$3: expected [$1], got [$2]"
  fi
}

# assert_files_equal A B WHAT: byte-exact comparison.
assert_files_equal() {
  cmp "$1" "$2" >/dev/null || fail "$3: $1 and $2 differ ($(cmp "$1" "$2" 2>&1 | head -1))"
}

# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
  [[ "$1" == *"$2"* ]] || fail "$3: expected to contain [$2], got [$1]"
}

# expect_status STATUS COMMAND...: runs COMMAND with stderr captured in $WORK/stderr.
expect_status() {
  local expected=$1 status=0
  shift
  "$@" 2>"$WORK/stderr" || status=$?
  [[ $status == "$expected" ]] || fail "exit status of [$*]: expected $expected, got $status; stderr: $(cat "$WORK/stderr")"
}

# Number of events in a log.
event_count() { evlog tail "$1" --from beginning | wc -l | tr -d ' '; }

# wait_for_file_content FILE EXPECTED SECONDS: polls until FILE's content equals EXPECTED.
wait_for_file_content() {
  local deadline=$((SECONDS + $3 + 1)) i
  for ((i = 0; i < $3 * 20; i++)); do
    [[ "$(cat "$1" 2>/dev/null)" == "$2" ]] && return 0
    sleep 0.05
  done
  fail "$1 did not become [$2] within $3 s; it holds [$(cat "$1" 2>/dev/null)]"
}

# wait_until SECONDS WHAT COMMAND...: polls COMMAND until it succeeds; fails naming WHAT.
# SECONDS only bounds a wait that should end far sooner: be generous (sanitizer builds).
wait_until() {
  local seconds=$1 what=$2 i
  shift 2
  for ((i = 0; i < seconds * 20; i++)); do
    "$@" && return 0
    sleep 0.05
  done
  fail "$what: not within $seconds s"
}

# stop_server PID SIGNAL: sends SIGNAL (the server's clean shutdown), waits up to 30 s for
# the process to go, then SIGKILLs it: a server that hangs on shutdown must not outlive its test.
stop_server() {
  local pid=$1 i
  kill -"$2" "$pid" 2>/dev/null || true
  for ((i = 0; i < 600; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# log_id LOG: the log's identity, as `evlog stat --json` gives it.
log_id() { evlog stat --json "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["log_id"])'; }

# group_position LOG GROUP: the group's position, 0 while it does not exist.
group_position() {
  evlog groups "$1" --json | python3 -c 'import json, sys
print(next((g["position"] for g in map(json.loads, sys.stdin) if g["group"] == sys.argv[1]), 0))' "$2"
}
