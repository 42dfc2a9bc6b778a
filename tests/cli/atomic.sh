# --atomic appends all of stdin or nothing; streaming mode reports what it appended before
# a bad record.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
printf 'seed\n' | evlog append "$LOG"

# Invalid JSON on line 3 of 5: nothing appended, the record is named, exit 1.
printf '{"payload":"1"}\n{"payload":"2"}\n{"payload":\n{"payload":"4"}\n{"payload":"5"}\n' >"$WORK/bad.json"
expect_status 1 evlog append --atomic --json "$LOG" <"$WORK/bad.json"
assert_contains "$(cat "$WORK/stderr")" "evlog: append: input record 3: invalid JSON" "atomic JSON error"
assert_contains "$(cat "$WORK/stderr")" "nothing was appended" "atomic JSON error"
assert_eq seed "$(evlog tail "$LOG")" "log after a failed atomic append"

# The same input without --atomic appends the records before the bad one.
expect_status 1 evlog append --json "$LOG" <"$WORK/bad.json"
assert_contains "$(cat "$WORK/stderr")" "input record 3: invalid JSON" "streaming JSON error"
assert_contains "$(cat "$WORK/stderr")" "2 events appended before the error (offsets 1..2)" \
  "streaming JSON error"
assert_eq "$(printf 'seed\n1\n2')" "$(evlog tail "$LOG")" "log after a failed streaming append"

# An oversized event: with --atomic nothing is appended; without, the 6 before it are.
SMALL=$WORK/small
evlog append --max-event-bytes 1K "$SMALL" </dev/null
python3 -c 'print("\n".join(["ok"] * 6 + ["x" * 2000] + ["after"]))' >"$WORK/oversized"
expect_status 1 evlog append --atomic "$SMALL" <"$WORK/oversized"
assert_contains "$(cat "$WORK/stderr")" "input record 7:" "atomic oversized event"
assert_contains "$(cat "$WORK/stderr")" "nothing was appended" "atomic oversized event"
assert_eq 0 "$(event_count "$SMALL")" "events after a failed atomic append"
expect_status 1 evlog append "$SMALL" <"$WORK/oversized"
assert_contains "$(cat "$WORK/stderr")" "input record 7:" "streaming oversized event"
assert_contains "$(cat "$WORK/stderr")" "6 events appended before the error (offsets 0..5)" \
  "streaming oversized event"
assert_eq 6 "$(event_count "$SMALL")" "events after a failed streaming append"

# Far beyond the limit the record is never buffered whole, but its size is still reported.
head -c 5000000 /dev/zero | tr '\0' y | evlog append --raw "$SMALL" 2>"$WORK/stderr" && fail "5 MB raw event accepted"
assert_contains "$(cat "$WORK/stderr")" "input record 1: event of 5000000 bytes exceeds" "huge raw event"
assert_contains "$(cat "$WORK/stderr")" "(see --max-event-bytes)" "huge raw event"

# A batch larger than a segment is refused, with nothing appended.
SEG=$WORK/seg
evlog append --segment-bytes 64K "$SEG" </dev/null
python3 -c 'print("\n".join(["z" * 1000] * 100))' >"$WORK/100k"
expect_status 1 evlog append --atomic "$SEG" <"$WORK/100k"
assert_contains "$(cat "$WORK/stderr")" "nothing was appended" "batch larger than a segment"
assert_eq 0 "$(event_count "$SEG")" "events after a refused batch"
# Streaming mode splits the same input into batches that fit.
evlog append "$SEG" <"$WORK/100k"
assert_eq 100 "$(event_count "$SEG")" "streaming append across segments"

# An atomic batch that fits is appended whole, with offsets printed.
assert_eq "$(printf '100\n101\n102')" "$(printf 'a\nb\nc\n' | evlog append --atomic -p "$SEG")" \
  "atomic append offsets"

# A stdin that cannot be read is an error naming the record, and appends nothing.
mkdir "$WORK/dir"
expect_status 1 evlog append "$LOG" <"$WORK/dir"
assert_contains "$(cat "$WORK/stderr")" "input record 1: cannot read" "unreadable stdin"
echo PASS
