# groups --reset-to creates a group only with --create (issue 11: a typo silently made a new
# group at the reset position).
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
seq 0 9 | evlog append "$LOG"
evlog ack -g billing "$LOG" 4
evlog ack -g search "$LOG" 1

# A mistyped name is an error naming the groups there are, dry run or not; nothing is created.
for execute in "" --execute; do
  expect_status 1 evlog groups "$LOG" -g biling --reset-to 0 $execute
  assert_contains "$(cat "$WORK/stderr")" "no group named 'biling' (the groups are: billing, search)" "typo $execute"
  assert_contains "$(cat "$WORK/stderr")" "Add --create to create it" "the way out $execute"
done
assert_eq "$(printf 'billing\nsearch')" "$(evlog groups "$LOG" | awk 'NR > 1 { print $1 }')" "no group created"
# An existing group moves without --create; a new one needs it.
evlog groups "$LOG" -g billing --reset-to 2 --execute >/dev/null
assert_contains "$(evlog groups -g billing "$LOG")" "billing  2" "reset of an existing group"
plan=$(evlog groups "$LOG" -g fresh --reset-to 3 --create 2>/dev/null)
assert_eq "fresh  0        3" "$(sed -n 2p <<<"$plan")" "dry run of a new group"
evlog groups "$LOG" -g fresh --reset-to 3 --create --execute >/dev/null
assert_contains "$(evlog groups -g fresh "$LOG")" "fresh  3" "--create --execute"
expect_status 2 evlog groups "$LOG" -g fresh --create
EMPTY=$WORK/empty
evlog append "$EMPTY" </dev/null
expect_status 1 evlog groups "$EMPTY" -g g --reset-to 0 --execute
assert_contains "$(cat "$WORK/stderr")" "no group named 'g' (the log has no groups yet)" "no groups yet"
[[ ! -e $EMPTY/groups ]] || fail "a refused reset created the group store"

echo "groups_create: ok"
