# SIGTERM and SIGINT: forwarded to the running command's process group, which is waited for;
# its event is not acked; replay exits 128 + the signal number. And -f: an event appended
# later reaches the command promptly.
source "$(dirname "$0")/replay_lib.sh"

LOG=$WORK/log
seq 0 2 | evlog append "$LOG"
RECORD=$WORK/record

# wait_for_line FILE PATTERN SECONDS
wait_for_line() {
  local i
  for ((i = 0; i < $3 * 100; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.01
  done
  fail "$1 has no line matching $2 after $3 s: [$(cat "$1" 2>/dev/null)]"
}

# SIGTERM during a long command (event 1): exit 143, event 0 acked, event 1 not.
"$EVLOG" replay "$LOG" -g G -- sh -c 'echo "start $EVLOG_OFFSET $$" >>"$1"
  [ "$EVLOG_OFFSET" -ne 1 ] || sleep 30' sh "$RECORD" 2>"$WORK/stderr" &
pid=$!
BACKGROUND_PIDS+=($pid)
wait_for_line "$RECORD" "start 1" 20
command_pid=$(sed -n 's/^start 1 //p' "$RECORD")
start=$(now_ms)
kill -TERM $pid
status=0
wait $pid || status=$?
assert_eq 143 "$status" "exit status after SIGTERM"
# Well short of the command's 30 s sleep even under a sanitizer: replay did not wait it out.
(($(now_ms) - start < 15000)) || fail "replay took $(($(now_ms) - start))ms to stop after SIGTERM"
is_running "$command_pid" && fail "the command still runs after replay ended"
[[ "$(cat "$WORK/stderr")" =~ $SUMMARY_RE ]] || fail "no summary after SIGTERM: $(cat "$WORK/stderr")"
assert_contains "$(cat "$WORK/stderr")" "1 delivered" "summary after SIGTERM"
# The next run starts again at event 1.
evlog replay "$LOG" -g G -- sh -c 'echo "$EVLOG_OFFSET"' >"$WORK/out" 2>/dev/null
assert_eq "$(printf '1\n2')" "$(cat "$WORK/out")" "events after an interrupted one"

# SIGINT likewise exits 130; a command that traps it and exits 0 still does not get its
# event acked: its work was cut short. Its background job, which ignores SIGINT, is killed.
: >"$RECORD"
"$EVLOG" replay "$LOG" -g H -- sh -c 'trap "exit 0" INT; sleep 30 & echo "$!" >"$1.job"
  echo "start $EVLOG_OFFSET" >>"$1"; wait' sh "$RECORD" 2>/dev/null &
pid=$!
BACKGROUND_PIDS+=($pid)
wait_for_line "$RECORD" "start 0" 20
kill -INT $pid
status=0
wait $pid || status=$?
assert_eq 130 "$status" "exit status after SIGINT"
# SIGKILLed by replay, the job exits, but need not have yet when replay does; one that was
# not killed would run for 30 s.
job_gone() { ! is_running "$1"; }
wait_until 10 "the command's background job gone" job_gone "$(cat "$RECORD.job")"
evlog replay "$LOG" -g H --to 0 -- sh -c 'echo "$EVLOG_OFFSET"' >"$WORK/out" 2>/dev/null
assert_eq 0 "$(cat "$WORK/out")" "an interrupted event is not acked"

# -f: waits at the end; an event appended later is delivered (the latency is printed: a
# wall-clock bound would flake in sanitizer builds); a signal while waiting ends it at once.
: >"$RECORD"
"$EVLOG" replay "$LOG" -g F -f -- sh -c 'echo "$EVLOG_OFFSET $(date +%s%N)" >>"$1"' sh "$RECORD" \
  2>"$WORK/stderr" &
pid=$!
BACKGROUND_PIDS+=($pid)
wait_for_line "$RECORD" "^2 " 20
sleep 0.3
is_running $pid || fail "replay -f exited at the end of the log"
appended=$(date +%s%N)
echo later | evlog append "$LOG"
wait_for_line "$RECORD" "^3 " 20
delivered=$(sed -n 's/^3 //p' "$RECORD")
echo "-f latency: $(((delivered - appended) / 1000000))ms (including evlog append's run)"
kill -TERM $pid
status=0
wait $pid || status=$?
assert_eq 143 "$status" "exit status of replay -f after SIGTERM"
assert_contains "$(cat "$WORK/stderr")" "4 delivered" "summary of replay -f"

# -f with --to stops once the range is delivered.
timeout 60 "$EVLOG" replay "$LOG" -f --from 3 --to 4 -- true 2>/dev/null &
pid=$!
BACKGROUND_PIDS+=($pid)
sleep 0.2
echo fifth | evlog append "$LOG"
wait $pid || fail "replay -f --to 4 did not stop by itself (status $?)"
echo PASS
