# Import into an existing empty log keeps offsets and group positions, and when the group
# store cannot be written imports nothing rather than the events alone (issue 7, item 10).
source "$(dirname "$0")/lib.sh"

printf 'a\nb\nc\n' | evlog append "$WORK/src"
evlog ack "$WORK/src" -g billing 1
evlog export "$WORK/src" --format archive -o "$WORK/src.evlog"

LOG=$WORK/log
evlog append "$LOG" </dev/null
touch "$LOG/groups"  # where the group store must be: it cannot be opened
expect_status 4 evlog import "$LOG" "$WORK/src.evlog"
assert_contains "$(cat "$WORK/stderr")" "groups: is a regular file, not a directory" "import with a broken group store"
assert_contains "$(cat "$WORK/stderr")" "nothing was imported" "import with a broken group store"
assert_eq 0 "$(event_count "$LOG")" "events after a failed import"

rm "$LOG/groups"
evlog import "$LOG" "$WORK/src.evlog"
assert_eq "$(evlog tail "$WORK/src" --from beginning --json)" "$(evlog tail "$LOG" --from beginning --json)" "events imported"
assert_eq "billing 2" "$(evlog groups "$LOG" | awk 'NR > 1 {print $1, $2}')" "group position imported"
echo PASS
