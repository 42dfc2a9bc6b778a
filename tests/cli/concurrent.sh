# Several processes appending to one log at once: nothing lost, nothing duplicated, each
# producer's events in its own order.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
PRODUCERS=4
PER_PRODUCER=2000
evlog append "$LOG" </dev/null
pids=()
for p in $(seq 1 $PRODUCERS); do
  # --sync always makes every line its own commit, so the producers really interleave.
  sync=batch
  ((p % 2 == 0)) && sync=always
  seq 1 $PER_PRODUCER | sed "s/^/p$p-/" | "$EVLOG" append --sync $sync "$LOG" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "producer $pid failed"; done

evlog tail --from beginning "$LOG" >"$WORK/all"
assert_eq $((PRODUCERS * PER_PRODUCER)) "$(wc -l <"$WORK/all" | tr -d ' ')" "total events"
assert_eq 0 "$(sort "$WORK/all" | uniq -d | wc -l | tr -d ' ')" "duplicated events"
for p in $(seq 1 $PRODUCERS); do
  grep "^p$p-" "$WORK/all" | sed "s/^p$p-//" >"$WORK/p$p"
  seq 1 $PER_PRODUCER >"$WORK/expected"
  assert_files_equal "$WORK/expected" "$WORK/p$p" "producer $p's events, in order"
done
# Offsets are dense: 0 .. N-1.
assert_eq "0 $((PRODUCERS * PER_PRODUCER - 1))" \
  "$(evlog tail --from beginning --format '%o\n' "$LOG" | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//')" \
  "offset range"
echo PASS
