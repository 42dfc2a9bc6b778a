# Latency: a follower sees new events promptly, and a slow producer's events are visible
# before its input ends.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
printf 'old\n' | evlog append "$LOG"

# tail -f prints the existing event, then one appended later, without exiting.
"$EVLOG" tail -f "$LOG" >"$WORK/followed" &
follower=$!
BACKGROUND_PIDS+=($follower)
wait_for_file_content "$WORK/followed" old 20
printf 'new\n' | evlog append "$LOG"
wait_for_file_content "$WORK/followed" "$(printf 'old\nnew')" 20
kill -0 $follower 2>/dev/null || fail "tail -f exited"

# -f with --to stops once the range is complete.
timeout 60 "$EVLOG" tail -f --from 1 --to 2 "$LOG" >"$WORK/bounded" &
bounded=$!
BACKGROUND_PIDS+=($bounded)
sleep 0.2
printf 'third\n' | evlog append "$LOG"
wait $bounded || fail "tail -f --to 2 did not stop by itself (status $?)"
assert_eq "$(printf 'new\nthird')" "$(cat "$WORK/bounded")" "tail -f --to"

# A slow producer: the first line is visible long before the producer finishes.
SLOW=$WORK/slow
# The producer writes its second line only once the first one was seen in the log.
{ echo a; until [[ -e "$WORK/seen" ]]; do sleep 0.05; done; echo b; } | "$EVLOG" append "$SLOW" &
producer=$!
BACKGROUND_PIDS+=($producer)
first_visible() { [[ "$(evlog tail "$SLOW" 2>/dev/null)" == a ]]; }
wait_until 30 "a slow producer's first event visible while it still runs" first_visible
touch "$WORK/seen"
wait $producer || fail "slow producer failed"
assert_eq "$(printf 'a\nb')" "$(evlog tail "$SLOW")" "slow producer's events at the end"

# A follower ends quietly when its reader goes away.
out=$(timeout 60 "$EVLOG" tail -f "$LOG" | head -1) || fail "tail -f | head did not end cleanly"
assert_eq old "$out" "tail -f | head"
echo PASS
