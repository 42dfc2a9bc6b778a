# Consumer groups under concurrency: two appenders run while group A consumes through one
# long `tail -g -f | ack` pipeline, group B through repeated `tail -g -c | ack` rounds, and
# a watcher samples every position. Then two processes ack group C in random orders at
# once. Afterwards every group is at the end, each consumer saw every offset exactly once,
# and no sampled position ever went backwards.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
PER_APPENDER=500
TOTAL=$((2 * PER_APPENDER))
# "GROUP POSITION LAG" per group
positions() {
  evlog groups "$LOG" --json | sed 's/.*"group":"\([^"]*\)","position":\([0-9]*\),"lag":\([0-9]*\).*/\1 \2 \3/'
}
position() { positions | awk -v g="$1" '$1 == g { print $2 }'; }
evlog append "$LOG" </dev/null

mkfifo "$WORK/fifo_a"
"$EVLOG" tail "$LOG" -g A -f --format '%o\n' >"$WORK/fifo_a" &
tail_a=$!
BACKGROUND_PIDS+=($tail_a)
tee "$WORK/seen_a" <"$WORK/fifo_a" | "$EVLOG" ack "$LOG" -g A &
ack_a=$!
BACKGROUND_PIDS+=($ack_a)

(
  until [[ -e $WORK/appended && $(position B) == "$TOTAL" ]]; do
    "$EVLOG" tail "$LOG" -g B -c 37 --format '%o\n' | tee -a "$WORK/seen_b" | "$EVLOG" ack "$LOG" -g B
    sleep 0.01
  done
) &
loop_b=$!
BACKGROUND_PIDS+=($loop_b)

(
  while [[ ! -e $WORK/consumed ]]; do
    positions >>"$WORK/samples"
    sleep 0.02
  done
) &
watcher=$!
BACKGROUND_PIDS+=($watcher)

appenders=()
for p in 1 2; do
  seq 1 $PER_APPENDER | sed "s/^/p$p-/" | "$EVLOG" append --sync always "$LOG" &
  appenders+=($!)
done
for pid in "${appenders[@]}"; do wait "$pid" || fail "appender $pid failed"; done
touch "$WORK/appended"

for p in 1 2; do
  shuf -i 0-$((TOTAL - 1)) --random-source=<(yes $p) | "$EVLOG" ack "$LOG" -g C &
  appenders+=($!)
done
for pid in "${appenders[@]:2}"; do wait "$pid" || fail "random-order acker $pid failed"; done

wait $loop_b || fail "group B's loop failed"
for ((i = 0; i < 600; i++)); do [[ $(position A) == "$TOTAL" ]] && break; sleep 0.05; done
kill $tail_a
wait $ack_a || fail "group A's ack exited with $? once its input ended"
touch "$WORK/consumed"
wait $watcher

assert_eq "$(printf 'A %d 0\nB %d 0\nC %d 0' $TOTAL $TOTAL $TOTAL)" "$(positions)" "every group at the end, lag 0"
seq 0 $((TOTAL - 1)) >"$WORK/expected"
assert_files_equal "$WORK/expected" "$WORK/seen_a" "offsets group A consumed"
assert_files_equal "$WORK/expected" "$WORK/seen_b" "offsets group B consumed"
[[ $(wc -l <"$WORK/samples") -gt 10 ]] || fail "the watcher took too few samples"
awk '{ if ($2 < last[$1]) { print "group " $1 " went back from " last[$1] " to " $2; bad = 1 } last[$1] = $2 }
     END { exit bad }' "$WORK/samples" || fail "a position moved backwards"

evlog tail "$LOG" --from beginning >"$WORK/all"
assert_eq $TOTAL "$(wc -l <"$WORK/all" | tr -d ' ')" "events appended"
for p in 1 2; do
  seq 1 $PER_APPENDER >"$WORK/expected_p"
  grep "^p$p-" "$WORK/all" | sed "s/^p$p-//" >"$WORK/p$p"
  assert_files_equal "$WORK/expected_p" "$WORK/p$p" "appender $p's events"
done
echo PASS
