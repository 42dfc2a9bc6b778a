# A process that holds the log's lock and does not let go (stopped with SIGSTOP, stuck):
# writers say who holds it after about a second, and --wait-lock bounds the wait (issue 7,
# item 19). flock(1) stands in for the stuck holder.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
echo a | evlog append "$LOG"

flock --no-fork "$LOG/LOCK" sleep 30 &  # --no-fork: $! is the process holding the lock
holder=$!
BACKGROUND_PIDS+=("$holder")
for _ in $(seq 100); do  # until flock holds the lock
  flock -n "$LOG/LOCK" true 2>/dev/null || break
  sleep 0.05
done

start=$SECONDS
expect_status 1 timeout 20 "$EVLOG" append "$LOG" --wait-lock 1500ms <<<"b"
(( SECONDS - start < 10 )) || fail "--wait-lock 1500ms waited $((SECONDS - start)) s"
assert_contains "$(cat "$WORK/stderr")" "waiting for the log's lock" "notice after a second"
assert_contains "$(cat "$WORK/stderr")" "held by process" "the holder is named"
assert_contains "$(cat "$WORK/stderr")" "sleep 30" "the holder's command line is shown"
expect_status 1 timeout 20 "$EVLOG" compact "$LOG" --retain-bytes 1 --wait-lock 300ms
assert_contains "$(cat "$WORK/stderr")" "held by process" "compact names the holder"
expect_status 2 evlog append "$LOG" --wait-lock soon <<<"b"

# Without --wait-lock, an append waits (saying so) and succeeds once the holder is gone.
"$EVLOG" append "$LOG" <<<"c" 2>"$WORK/waiting" &
appender=$!
sleep 1.5
kill "$holder"
wait "$appender" || fail "append after the holder went away failed: $(cat "$WORK/waiting")"
assert_contains "$(cat "$WORK/waiting")" "waiting for the log's lock" "an unbounded wait says so"
assert_eq "a c" "$(evlog tail "$LOG" | tr '\n' ' ' | sed 's/ $//')" "only the append that waited is in the log"
echo PASS
