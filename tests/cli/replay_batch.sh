# --batch N: up to N events per command run, as `tail --json` lines on stdin, acked together
# (up to the batch's last offset); retries and dead letters apply to the whole batch.
source "$(dirname "$0")/replay_lib.sh"

LOG=$WORK/log
printf 'k=a\nb\nk=c\nd\ne\nf\ng\n' | evlog append -K = -H h=1 "$LOG"
CALLS=$WORK/calls
# Each run records "EVLOG_OFFSET EVLOG_COUNT lines" and keeps its stdin.
RECORD_BATCH='cat >"$1.$EVLOG_OFFSET"; echo "$EVLOG_OFFSET $EVLOG_COUNT $(wc -l <"$1.$EVLOG_OFFSET")" >>"$1"'

evlog replay "$LOG" -g B --batch 3 -- sh -c "$RECORD_BATCH" sh "$CALLS" 2>"$WORK/stderr" ||
  fail "batch replay: $(cat "$WORK/stderr")"
assert_eq "$(printf '0 3 3\n3 3 3\n6 1 1')" "$(cat "$CALLS")" "batches of 3"
assert_contains "$(cat "$WORK/stderr")" "7 delivered, 0 retried, 0 dead-lettered" "batch summary"
# The lines are the envelopes `tail --json` prints.
evlog tail "$LOG" --from 0 --to 2 --json >"$WORK/expected"
assert_files_equal "$WORK/expected" "$CALLS.0" "a batch's stdin"
evlog replay "$LOG" -g B -- false 2>"$WORK/stderr"
assert_contains "$(cat "$WORK/stderr")" "0 delivered" "the group after batches"

# A failing batch is retried whole and, without --dead-letter, leaves the group at its
# first event: nothing of it is acked.
printf 'h\n' | evlog append "$LOG"
: >"$CALLS"
expect_status 5 evlog replay "$LOG" -g C --batch 3 --max-attempts 2 --backoff 10ms -- \
  sh -c '[ "$EVLOG_OFFSET" -ne 3 ] || exit 75; '"$RECORD_BATCH" sh "$CALLS"
assert_contains "$(cat "$WORK/stderr")" "offsets 3..5 could not be delivered: exit 75 after 2 attempt(s); group C stays at 3" "failed batch"
: >"$CALLS"
evlog replay "$LOG" -g C --batch 10 -- sh -c "$RECORD_BATCH" sh "$CALLS" 2>/dev/null
assert_eq "3 5 5" "$(cat "$CALLS")" "the next run starts at the failed batch"

# With --dead-letter, every event of a rejected batch is dead-lettered and acked.
expect_status 0 evlog replay "$LOG" -g D --batch 4 --dead-letter "$WORK/dead" -- \
  sh -c '[ "$EVLOG_OFFSET" -ne 4 ] || exit 65; cat >/dev/null'
assert_contains "$(cat "$WORK/stderr")" "4 delivered, 0 retried, 4 dead-lettered" "dead-lettered batch"
assert_eq "4,5,6,7," "$(evlog tail "$WORK/dead" --from beginning --format '%h\n' |
  sed 's/.*evlog-source-offset=\([0-9]*\).*/\1/' | tr '\n' ',')" "dead-lettered batch offsets"
echo PASS
