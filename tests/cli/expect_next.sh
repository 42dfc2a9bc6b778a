# --expect-next N appends only if the log's next offset is N; otherwise exit 3, nothing.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
assert_eq "$(printf '0\n1')" "$(printf 'a\nb\n' | evlog append --expect-next 0 -p "$LOG")" \
  "expect-next on a new log"
assert_eq "$(printf '2\n3\n4')" "$(printf 'c\nd\ne\n' | evlog append --expect-next 2 -p "$LOG")" \
  "expect-next matching"

expect_status 3 evlog append --expect-next 2 "$LOG" < <(printf 'x\ny\n')
assert_contains "$(cat "$WORK/stderr")" "evlog: append:" "expect-next mismatch message"
assert_contains "$(cat "$WORK/stderr")" "nothing was appended" "expect-next mismatch message"
expect_status 3 evlog append --expect-next 9 "$LOG" < <(printf 'x\n')
assert_eq "$(printf 'a\nb\nc\nd\ne')" "$(evlog tail "$LOG")" "log after mismatches"

# --expect-next implies --atomic: a bad record later in the input appends nothing.
expect_status 1 evlog append --expect-next 5 --json "$LOG" < <(printf '{"payload":"ok"}\nnot json\n')
assert_eq 5 "$(event_count "$LOG")" "expect-next with a bad record"

# Two writers racing on the same expected offset: exactly one wins.
status_a=0 status_b=0
printf 'A\n' | "$EVLOG" append --expect-next 5 "$LOG" 2>/dev/null & pid_a=$!
printf 'B\n' | "$EVLOG" append --expect-next 5 "$LOG" 2>/dev/null & pid_b=$!
wait $pid_a || status_a=$?
wait $pid_b || status_b=$?
assert_eq "0 3" "$(printf '%s\n' $status_a $status_b | sort | tr '\n' ' ' | sed 's/ $//')" \
  "racing expect-next statuses"
assert_eq 6 "$(event_count "$LOG")" "events after the race"

# Empty input still checks the condition: a way to assert the log's next offset.
evlog append --expect-next 6 "$LOG" </dev/null
expect_status 3 evlog append --expect-next 0 "$LOG" </dev/null
echo PASS
