# Retries: exit 75 and other failures are retried with exponential backoff, a command that
# outlives --timeout is killed and retried, and an event that exhausts its attempts without
# --dead-letter stops replay with exit 5, leaving the group at that event.
source "$(dirname "$0")/replay_lib.sh"

LOG=$WORK/log
seq 0 4 | evlog append "$LOG"

# Fails twice with EX_TEMPFAIL, then succeeds: attempts 1, 2, 3, at least 100 + 200 ms apart.
start=$(now_ms)
evlog replay "$LOG" --to 0 --backoff 100ms -- \
  sh -c 'echo "$EVLOG_ATTEMPT" >>"$1"; [ "$EVLOG_ATTEMPT" -ge 3 ] || exit 75' sh "$WORK/attempts" \
  2>"$WORK/stderr" || fail "replay with a command that succeeds on attempt 3: $(cat "$WORK/stderr")"
elapsed=$(($(now_ms) - start))
assert_eq "$(printf '1\n2\n3')" "$(cat "$WORK/attempts")" "EVLOG_ATTEMPT over retries"
((elapsed >= 300)) || fail "two retries after backoffs of 100ms and 200ms took only ${elapsed}ms"
# Generous for sanitizer builds on a busy machine; backoffs in seconds would take far longer.
((elapsed < 10000)) || fail "two retries took ${elapsed}ms"
assert_contains "$(cat "$WORK/stderr")" "1 delivered, 2 retried, 0 dead-lettered" "summary after retries"
assert_contains "$(cat "$WORK/stderr")" "attempt 1 of 5 failed (exit 75); retrying in" "retry message"

# The cap: --backoff-max bounds every delay (plus at most 20% jitter): each announced delay
# is at most 120ms (uncapped they would grow to 200 and 400), and replay did wait them.
start=$(now_ms)
expect_status 5 evlog replay "$LOG" --to 0 --backoff 100ms --backoff-max 100ms --max-attempts 4 -- false
elapsed=$(($(now_ms) - start))
delays=$(sed -n 's/.*retrying in \([0-9]*\)ms$/\1/p' "$WORK/stderr" | tr '\n' ' ')
[[ $delays =~ ^(1[01][0-9]\ |120\ ){3}$ ]] || fail "3 retries capped at 100ms announced delays [$delays]"
((elapsed >= 300)) || fail "3 retries capped at 100ms took only ${elapsed}ms"

# A command that outlives --timeout is killed (its whole process group) and retried. The
# timeout applies to every attempt, so it leaves the attempts that must end by themselves
# (the echo of attempt 1, all of attempt 2) ten times what a loaded sanitizer build needs.
start=$(now_ms)
evlog replay "$LOG" --to 0 --timeout 2s --backoff 10ms -- \
  sh -c 'echo "$EVLOG_ATTEMPT" >>"$1"; [ "$EVLOG_ATTEMPT" -ge 2 ] && exit
         sleep 30 & echo $! >"$2"; wait' sh "$WORK/timeouts" "$WORK/sleep_pid" \
  2>"$WORK/stderr" || fail "replay with a command that times out once: $(cat "$WORK/stderr")"
elapsed=$(($(now_ms) - start))
assert_eq "$(printf '1\n2')" "$(cat "$WORK/timeouts")" "attempts around a timeout"
# Far below the command's 30 s sleep even under a sanitizer: it was killed, not waited for.
((elapsed >= 2000 && elapsed < 15000)) || fail "a 2s timeout and a retry took ${elapsed}ms"
assert_contains "$(cat "$WORK/stderr")" "failed (timeout)" "timeout reported"
# SIGKILLed by replay, the background job exits, but need not have yet when replay does;
# one that was not killed would run for 30 s.
job_gone() { ! is_running "$1"; }
wait_until 10 "the timed-out command's child gone" job_gone "$(cat "$WORK/sleep_pid")"

# A command that ignores SIGTERM gets SIGKILL after the grace period. The timeout leaves sh
# the same margin to install its trap: a SIGTERM before it would end sh at once.
start=$(now_ms)
expect_status 5 evlog replay "$LOG" --to 0 --timeout 2s --max-attempts 1 -- \
  sh -c 'trap "" TERM; sleep 60'
elapsed=$(($(now_ms) - start))
# The timeout and the grace were given; the upper bound only needs to be well short of the
# 60 s sleep.
((elapsed >= 4000 && elapsed < 20000)) || fail "SIGKILL after a 2s timeout and a 2s grace: took ${elapsed}ms"

# Attempts exhausted, no --dead-letter: exit 5, events before it acked, the group stays at it.
RECORD=$WORK/record
expect_status 5 evlog replay "$LOG" -g G --max-attempts 3 --backoff 10ms -- \
  sh -c '[ "$EVLOG_OFFSET" -ne 2 ] || exit 1; echo "$EVLOG_OFFSET" >>"$1"' sh "$RECORD"
assert_contains "$(cat "$WORK/stderr")" "offset 2 could not be delivered: exit 1 after 3 attempt(s); group G stays at 2" "exit 5 message"
assert_contains "$(cat "$WORK/stderr")" "2 delivered, 2 retried, 0 dead-lettered" "summary after giving up"
assert_eq "$(printf '0\n1')" "$(cat "$RECORD")" "events before the undeliverable one"
# The next run retries it.
evlog replay "$LOG" -g G -- sh -c 'echo "$EVLOG_OFFSET" >>"$1"' sh "$RECORD" 2>/dev/null
assert_eq "$(printf '0\n1\n2\n3\n4')" "$(cat "$RECORD")" "the next run starts at the undelivered event"

# Death by a signal is a failed attempt too.
expect_status 5 evlog replay "$LOG" --to 0 --max-attempts 2 --backoff 10ms -- sh -c 'kill -KILL $$'
assert_contains "$(cat "$WORK/stderr")" "signal 9 after 2 attempt(s)" "death by signal"
echo PASS
