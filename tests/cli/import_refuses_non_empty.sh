# import into a log that already holds events is refused unless --append (issue 11): running
# a migration script a second time must not import everything twice.
source "$(dirname "$0")/lib.sh"

printf 'a\nb\nc\n' | evlog append "$WORK/src"
evlog export "$WORK/src" --format archive -o "$WORK/src.evlog"
evlog export "$WORK/src" -o "$WORK/src.ndjson"

DST=$WORK/dst
evlog import "$DST" "$WORK/src.evlog"
before=$(evlog export "$DST")
for input in src.evlog src.ndjson; do
  expect_status 1 evlog import "$DST" "$WORK/$input"
  assert_contains "$(cat "$WORK/stderr")" "evlog: import: $DST already holds 3 events" "$input: the count"
  assert_contains "$(cat "$WORK/stderr")" "Pass --append" "$input: names --append"
  assert_contains "$(cat "$WORK/stderr")" "nothing was imported" "$input: says so"
  assert_eq "$before" "$(evlog export "$DST")" "$input: the log is unchanged"
done
expect_status 1 evlog import "$DST" <"$WORK/src.ndjson"
assert_eq "$before" "$(evlog export "$DST")" "from stdin: the log is unchanged"

# --append: after the events already there, with new offsets.
evlog import --append "$DST" "$WORK/src.evlog" 2>/dev/null
assert_eq "0 a,1 b,2 c,3 a,4 b,5 c" "$(evlog tail "$DST" --from beginning --format '%o %s,' | sed 's/,$//')" \
  "--append appends"

# A log with no events left is not refused: nothing can be imported twice into it.
evlog append "$WORK/empty" </dev/null
evlog import "$WORK/empty" "$WORK/src.evlog"
assert_eq 3 "$(event_count "$WORK/empty")" "import into an empty log"
echo PASS
