# Crash safety with real processes: rounds of three `append --sync always -p` producers on
# one log, all killed with SIGKILL at a random moment. Afterwards every offset a producer
# was told about (-p prints it only once durable) holds that producer's event, offsets are
# dense, and each producer's events are present in order with no gap or duplicate.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
SEED=${EVLOG_TEST_SEED:-$RANDOM}
RANDOM=$SEED
echo "seed $SEED (set EVLOG_TEST_SEED to repeat)"
ROUNDS=12
acknowledged() { cat "$WORK"/acked.*."$1" 2>/dev/null | grep -q .; }
kills=0
for ((round = 1; round <= ROUNDS; round++)); do
  pids=()
  for p in 1 2 3; do
    seq 1 20000 | sed "s/^/p$p-r$round-/" |
      "$EVLOG" append "$LOG" --sync always -p >"$WORK/acked.$p.$round" 2>/dev/null &
    pids+=($!)  # a pipeline's $! is its last process: the appender itself
  done
  # Killed a random 0..250 ms after the round's first acknowledgement (not after a fixed
  # time, which a slow sanitizer build may not even have started by).
  wait_until 60 "an acknowledgement in round $round" acknowledged "$round"
  sleep "0.$(printf '%03d' $((RANDOM % 251)))"
  kill -KILL "${pids[@]}" 2>/dev/null || true
  for pid in "${pids[@]}"; do
    status=0
    wait "$pid" 2>/dev/null || status=$?
    # 137: killed by our SIGKILL; 0: it finished first (only possible on a very fast disk).
    case $status in
      137) kills=$((kills + 1)) ;;
      0) ;;
      *) fail "an appender exited with status $status in round $round" ;;
    esac
  done
done
# The point is appenders dying mid-stream: most of them must have been killed.
((kills >= ROUNDS * 3 / 2)) || fail "only $kills of $((ROUNDS * 3)) appenders were killed before they finished"

# The next appender recovers whatever the killed ones left.
printf 'after\n' | evlog append "$LOG" -p >"$WORK/final"
evlog tail "$LOG" --from beginning --format '%o %s\n' >"$WORK/all"
assert_eq "$(tail -n 1 "$WORK/all" | cut -d' ' -f1)" "$(cat "$WORK/final")" "last offset is the final append"

# Offsets are dense from 0, and each producer's sequence numbers run 1, 2, 3, ... in order.
awk '
  $1 != NR - 1 { print "offset " $1 " at line " NR; bad = 1 }
  $2 ~ /^p[0-9]-r[0-9]+-[0-9]+$/ {
    split($2, f, "-"); key = f[1] "-" f[2]
    if (f[3] != seen[key] + 1) { print "producer " key ": " f[3] " after " seen[key]+0; bad = 1 }
    seen[key] = f[3]
  }
  END { exit bad }' "$WORK/all" || fail "offsets not dense or a producer lost, duplicated or reordered events"

# Every acknowledged offset holds the event of the producer that was told about it.
for ack in "$WORK"/acked.*; do
  tag=$(basename "$ack" | awk -F. '{ print "p" $2 "-r" $3 "-" }')
  awk -v tag="$tag" 'NR == FNR { ev[$1] = $2; next } index(ev[$1], tag) != 1 { print "acked offset " $1 " holds [" ev[$1] "]"; exit 1 }' \
    "$WORK/all" "$ack" || fail "an acknowledged event is missing or wrong ($ack)"
done
acked=$(cat "$WORK"/acked.* | wc -l)
(( acked > 0 )) || fail "no producer got an acknowledgement before being killed"
echo "PASS ($acked acknowledged events checked over $ROUNDS rounds, $kills appenders killed)"
