# Consumers keep working while compact removes the segments under them: a `tail -f`
# follower, a `replay -f -g` consumer (whose unacked events compaction keeps), and a reader
# stalled on a full pipe with a segment open while that segment is removed.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
ROUNDS=15
PER_ROUND=100
seq 0 $((PER_ROUND - 1)) | evlog append "$LOG" --segment-bytes 4096

"$EVLOG" tail -f --from beginning --format '%o\n' "$LOG" >"$WORK/followed" 2>"$WORK/follow.err" &
follower=$!
BACKGROUND_PIDS+=($follower)
"$EVLOG" replay -f -g g --batch 20 "$LOG" -- sh -c 'cat >/dev/null; echo "$EVLOG_OFFSET $EVLOG_COUNT" >>"$1"' \
  sh "$WORK/replayed" 2>"$WORK/replay.err" &
consumer=$!
BACKGROUND_PIDS+=($consumer)

for ((round = 1; round < ROUNDS; round++)); do
  seq $((round * PER_ROUND)) $(((round + 1) * PER_ROUND - 1)) | evlog append "$LOG"
  evlog compact "$LOG" --retain-bytes 8K >/dev/null || fail "compact in round $round"
  sleep 0.05
done
TOTAL=$((ROUNDS * PER_ROUND))
followed_to_end() { [[ "$(tail -n 1 "$WORK/followed")" == $((TOTAL - 1)) ]]; }
wait_until 60 "tail -f printing offset $((TOTAL - 1))" followed_to_end
# The group has acked everything once its last batch is recorded.
group_at_end() { [[ "$(evlog groups "$LOG" -g g | awk 'NR == 2 { print $2 }')" == "$TOTAL" ]]; }
wait_until 60 "group g at $TOTAL" group_at_end
evlog compact "$LOG" --retain-bytes 8K >/dev/null
first=$(evlog tail "$LOG" --from beginning -c 1 --format '%o')
((first > 0)) || fail "compaction removed nothing while the consumers ran"
kill -0 $follower 2>/dev/null || fail "tail -f exited: $(cat "$WORK/follow.err")"
kill -0 $consumer 2>/dev/null || fail "replay -f exited: $(cat "$WORK/replay.err")"
assert_eq "" "$(cat "$WORK/follow.err")" "tail -f errors"

# The follower printed strictly increasing offsets up to the last one (it may only miss
# events removed before it got to them; it keeps up here, so it missed none).
assert_eq "$(seq 0 $((TOTAL - 1)))" "$(cat "$WORK/followed")" "tail -f output"
# The replay consumer got every event exactly once, in order: compaction kept its unacked events.
awk -v total=$TOTAL '$1 != next_offset { print "gap at " $1; exit 1 } { next_offset = $1 + $2 }
  END { if (next_offset != total) { print "ended at " next_offset; exit 1 } }' "$WORK/replayed" ||
  fail "replay -f -g deliveries"

# A reader blocked on a full pipe (1.8 MB of output: more than the pipe and tail's buffer)
# keeps its segment open while compaction removes it, then continues at the oldest
# remaining segment, with a warning naming the events it could not read.
seq 0 19999 | sed 's/$/ padding-padding-padding-padding-padding-padding-padding-padding-padding/' |
  evlog append "$WORK/slow" --segment-bytes 64K
# The pipe is drained only once compaction is done, and compaction starts only once the
# reader has a segment open.
mkfifo "$WORK/slow.pipe"
{
  exec 3<"$WORK/slow.pipe"
  until [[ -e "$WORK/compacted" ]]; do sleep 0.05; done
  cat <&3
} >"$WORK/slow.out" &
drainer=$!
"$EVLOG" tail --from beginning --format '%o %s\n' "$WORK/slow" >"$WORK/slow.pipe" 2>"$WORK/slow.err" &
slow_reader=$!
BACKGROUND_PIDS+=($slow_reader $drainer)
has_segment_open() { find "/proc/$1/fd" -lname '*.seg' 2>/dev/null | grep -q .; }
wait_until 60 "the reader opening a segment" has_segment_open $slow_reader
evlog compact "$WORK/slow" --before end >/dev/null
touch "$WORK/compacted"
wait $slow_reader || fail "a reader during compaction failed: $(cat "$WORK/slow.err")"
wait $drainer
last_read=$(awk '{ if (NR > 1 && $1 != prev + 1) exit; prev = $1 } END { print prev }' "$WORK/slow.out")
resumed=$(awk -v last="$last_read" '$1 > last { print $1; exit }' "$WORK/slow.out")
assert_eq "evlog: tail: warning: events $((last_read + 1))..$((resumed - 1)) were removed from $WORK/slow (evlog compact) before they could be read; continuing at $resumed" \
  "$(cat "$WORK/slow.err")" "the reader's warning about the removed events"
assert_eq 0 "$(head -n 1 "$WORK/slow.out" | cut -d' ' -f1)" "the reader began before compaction"
(($(wc -l <"$WORK/slow.out") < 20000)) || fail "the reader was not stalled while the segments were removed"
awk 'NR > 1 && $1 <= prev { exit 1 } { prev = $1 }' "$WORK/slow.out" || fail "offsets out of order"
assert_eq "19999" "$(tail -n 1 "$WORK/slow.out" | cut -d' ' -f1)" "the reader reached the end"
evlog verify "$LOG" >/dev/null || fail "verify of the followed log after compaction"
evlog verify "$WORK/slow" >/dev/null || fail "verify of the log compacted under a stalled reader"
echo PASS
