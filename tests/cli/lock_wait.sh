# A process that holds the log's lock and does not let go (stopped with SIGSTOP, stuck):
# writers say who holds it after about a second, and --wait-lock bounds the wait (issue 7,
# item 19). flock(1) stands in for the stuck holder.
source "$(dirname "$0")/lib.sh"

# hold_lock LOG: a process that holds LOG/LOCK for 10 minutes (far longer than any section
# here takes); its pid in $holder, returns once it holds the lock.
hold_lock() {
  flock --no-fork "$1/LOCK" sleep 600 &  # --no-fork: $! is the process holding the lock
  holder=$!
  BACKGROUND_PIDS+=("$holder")
  wait_until 30 "flock taking $1/LOCK" lock_taken "$1"
}
lock_taken() { ! flock -n "$1/LOCK" true 2>/dev/null; }

LOG=$WORK/log
echo a | evlog append "$LOG"

hold_lock "$LOG"

# timeout 60 only catches a wait that never ends (exit 124, not 1); the bound is 10x the wait.
start=$SECONDS
expect_status 1 timeout 60 "$EVLOG" append "$LOG" --wait-lock 1500ms <<<"b"
(( SECONDS - start < 15 )) || fail "--wait-lock 1500ms waited $((SECONDS - start)) s"
assert_contains "$(cat "$WORK/stderr")" "waiting for the log's lock" "notice after a second"
assert_contains "$(cat "$WORK/stderr")" "held by process" "the holder is named"
assert_contains "$(cat "$WORK/stderr")" "sleep 600" "the holder's command line is shown"
expect_status 1 timeout 60 "$EVLOG" compact "$LOG" --retain-bytes 1 --wait-lock 300ms
assert_contains "$(cat "$WORK/stderr")" "held by process" "compact names the holder"
expect_status 2 evlog append "$LOG" --wait-lock soon <<<"b"

# Without --wait-lock, an append waits (saying so) and succeeds once the holder is gone.
"$EVLOG" append "$LOG" <<<"c" 2>"$WORK/waiting" &
appender=$!
says_waiting() { grep -q "waiting for the log's lock" "$WORK/waiting"; }
wait_until 30 "the blocked append saying it waits" says_waiting
kill "$holder"
wait "$appender" || fail "append after the holder went away failed: $(cat "$WORK/waiting")"
assert_contains "$(cat "$WORK/waiting")" "waiting for the log's lock" "an unbounded wait says so"
assert_eq "a c" "$(evlog tail "$LOG" | tr '\n' ' ' | sed 's/ $//')" "only the append that waited is in the log"

# verify --repair --force decides only once it holds the lock (issue 7, item 10): here the
# holder puts the damaged segment right while the repair waits, and the repair must then
# find nothing to move aside. One that looked (at HEAD, at the damage) before taking the
# lock would act on a log that no longer exists.
LOG=$WORK/damaged
printf 'a\nb-MARKER\nc\n' | evlog append "$LOG"
seg=$(ls "$LOG"/*.seg)
cp "$seg" "$WORK/good.seg"
python3 - "$seg" <<'PY'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
data[data.index(b'MARKER')] ^= 0x20
open(sys.argv[1], 'wb').write(bytes(data))
PY
expect_status 4 evlog verify "$LOG"
hold_lock "$LOG"
"$EVLOG" verify "$LOG" --repair --force >"$WORK/repair.out" 2>"$WORK/repair.err" &
repairer=$!
repair_waits() { grep -q "waiting for the log's lock" "$WORK/repair.err"; }
wait_until 30 "verify --repair saying it waits for the lock" repair_waits
assert_contains "$(cat "$WORK/repair.err")" "held by process" "verify --repair names the holder"
cp "$WORK/good.seg" "$seg"  # the holder's doing, under the lock
kill "$holder"
wait "$repairer" || fail "verify --repair --force after the holder left: $(cat "$WORK/repair.err")"
[[ ! -e "$LOG/quarantine" ]] || fail "a segment was moved aside: $(ls "$LOG/quarantine")"
assert_contains "$(cat "$WORK/repair.out")" "no problem found" "the repair saw the log as it was once it held the lock"
assert_eq "a b-MARKER c" "$(evlog tail "$LOG" | tr '\n' ' ' | sed 's/ $//')" "every event is still there"
hold_lock "$LOG"
expect_status 1 timeout 60 "$EVLOG" verify "$LOG" --repair --wait-lock 100ms
assert_contains "$(cat "$WORK/stderr")" "nothing was changed" "verify --repair --wait-lock gives up"
kill "$holder"
echo PASS
