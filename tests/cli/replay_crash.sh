# At-least-once under crashes: a `replay -g` consumer killed with SIGKILL at random moments
# and restarted until its group reaches the end skips no event, keeps the order, and repeats
# an event only when it was killed after the event's command ran and before its ack.
source "$(dirname "$0")/replay_lib.sh"

N=200
KILLS=30
SEED=${EVLOG_TEST_SEED:-$(( $(date +%s%N) % 32768 ))}
echo "seed $SEED (rerun with EVLOG_TEST_SEED=$SEED)"
RANDOM=$SEED

LOG=$WORK/log
RECORD=$WORK/record
seq 0 $((N - 1)) | evlog append "$LOG"
: >"$RECORD"
# The command lingers a random few ms before and after recording the event, so kills land
# before the record, between the record and the ack, and during the ack.
CMD=(bash -c 'sleep 0.00$((RANDOM % 10)); echo "$EVLOG_OFFSET" >>"$1"; sleep 0.00$((RANDOM % 10))'
  record "$RECORD")

# Each run is killed 0..40 ms after its command recorded an event (not after a fixed time,
# which a slow sanitizer build may not even have started by); one that finished first
# (exit 0) ends the kills.
# progress_or_end LINES PID: the record grew past LINES, or the run ended.
progress_or_end() { (($(wc -l <"$RECORD") > $1)) || ! is_running "$2"; }
kills=0
for ((k = 0; k < KILLS; k++)); do
  recorded=$(wc -l <"$RECORD")
  "$EVLOG" replay "$LOG" -g G --backoff 10ms -- "${CMD[@]}" 2>/dev/null &
  pid=$!
  wait_until 60 "run $k recording an event" progress_or_end "$recorded" $pid
  sleep "0.0$(printf '%02d' $((RANDOM % 41)))"
  kill -KILL $pid 2>/dev/null || true
  status=0
  wait $pid 2>/dev/null || status=$?
  ((status == 0)) && break
  ((status == 137)) || fail "a replay run ended with status $status: neither killed (137) nor finished (0)"
  kills=$((kills + 1))
done
echo "after $kills kills: $(sort -un "$RECORD" 2>/dev/null | wc -l) of $N offsets recorded"
# The point is a consumer dying mid-stream many times: most runs must have been killed.
((kills >= KILLS / 2)) || fail "only $kills runs were killed before the group reached the end (seed $SEED)"
evlog replay "$LOG" -g G --backoff 10ms -- "${CMD[@]}" 2>"$WORK/stderr" || fail "final run failed: $(cat "$WORK/stderr")"

python3 - "$RECORD" "$N" <<'PY' || fail "record violates at-least-once in order (seed $SEED)"
import sys
lines = [int(l) for l in open(sys.argv[1]).read().split()]
n = int(sys.argv[2])
expected, duplicates = 0, 0
for i, v in enumerate(lines):
    if v == expected:
        expected += 1
    elif i > 0 and v == lines[i - 1]:
        duplicates += 1  # killed after the command ran, before the ack committed
    else:
        sys.exit(f"line {i + 1}: offset {v}, expected {expected} or a repeat of {lines[i - 1] if i else None}")
if expected != n:
    sys.exit(f"only offsets 0..{expected - 1} were delivered, expected 0..{n - 1}")
print(f"{len(lines)} deliveries of {n} events, {duplicates} duplicates, all immediate repeats")
PY

# The group is at the end: another run delivers nothing.
evlog replay "$LOG" -g G -- false 2>"$WORK/stderr" || fail "a run at the end failed"
assert_contains "$(cat "$WORK/stderr")" "0 delivered" "group at the end after the crashes"
echo PASS
