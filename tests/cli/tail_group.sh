# tail -g: starts at the group's committed position, does not ack, stops at the end without
# -f and follows with it; the end options still apply; groups progress independently.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
position() { evlog groups "$LOG" -g "$1" --json | sed -n 's/.*"position":\([0-9]*\).*/\1/p'; }
seq 0 14 | evlog append "$LOG"

assert_eq "$(seq 0 14)" "$(evlog tail "$LOG" -g fresh)" "a new group starts at the beginning, not at the last 10"
evlog ack "$LOG" -g a 5
assert_eq "$(seq 6 14)" "$(evlog tail "$LOG" -g a)" "starts at the committed position"
assert_eq "$(seq 6 14)" "$(evlog tail "$LOG" -g a)" "tail -g does not ack"
assert_eq 6 "$(position a)" "position after tail -g"
assert_eq "6 7 " "$(evlog tail "$LOG" -g a -c 2 --format '%o ')" "-c applies"
assert_eq "$(seq 6 8)" "$(evlog tail "$LOG" -g a --to 8)" "--to applies"
assert_eq "" "$(evlog tail "$LOG" -g a --until -1h)" "--until applies"
assert_eq '{"offset":6,' "$(evlog tail "$LOG" -g a -c 1 --json | cut -c1-12)" "--json"

# Without -f it ends at the end of the log, also when the group is already there.
evlog ack "$LOG" -g done 14
status=0
out=$(timeout 60 "$EVLOG" tail "$LOG" -g done) || status=$?
assert_eq 0 "$status" "tail -g at the end exits by itself"
assert_eq "" "$out" "nothing after the end"

# With -f it follows from the committed position.
"$EVLOG" tail "$LOG" -g a -f -c 11 --format '%o\n' >"$WORK/followed" &
follower=$!
BACKGROUND_PIDS+=($follower)
wait_for_file_content "$WORK/followed" "$(seq 6 14)" 20
kill -0 $follower 2>/dev/null || fail "tail -g -f exited at the end"
printf 'p\nq\n' | evlog append "$LOG"
wait_for_file_content "$WORK/followed" "$(seq 6 16)" 20
wait $follower || fail "tail -g -f -c 11 did not end after 11 events"

# Several groups on one log move independently.
evlog ack "$LOG" -g b 3
evlog ack "$LOG" -g c 10
evlog ack "$LOG" -g b 7
assert_eq "$(seq 8 14; printf 'p\nq')" "$(evlog tail "$LOG" -g b)" "group b"
assert_eq "$(seq 11 14; printf 'p\nq')" "$(evlog tail "$LOG" -g c)" "group c"
assert_eq "6 8 11 15" "$(position a) $(position b) $(position c) $(position done)" "positions"

expect_status 2 evlog tail "$LOG" -g a --from 1
assert_contains "$(cat "$WORK/stderr")" "evlog: tail:" "usage error names the subcommand"
expect_status 2 evlog tail "$LOG" -g a --from beginning
expect_status 2 evlog tail "$LOG" -g a --since -1h
expect_status 2 evlog tail "$LOG" -g a -n 3
expect_status 2 evlog tail "$LOG" -g ''
expect_status 1 evlog tail "$WORK/missing" -g a
[[ ! -e $WORK/missing ]] || fail "tail -g must not create a log"
evlog tail --help | grep -q -- --group || fail "tail --help lacks --group"
echo PASS
