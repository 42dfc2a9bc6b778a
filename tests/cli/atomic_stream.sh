# append --atomic from a large file writes the batch to the log while it reads it
# (Log::BeginAtomicAppend), holding the log's lock: the batch is still all or nothing for
# a reader meanwhile, a bad record, --expect-next, a stopped and killed appender; other
# appenders wait for it. From a pipe the batch is built first and the lock is not held
# while the producer writes.
source "$(dirname "$0")/lib.sh"
ENOSPC_SHIM=${EVLOG_ENOSPC_SHIM:?set by ctest: the enospc_after shim}
STOP_SHIM=${EVLOG_STOP_SHIM:?set by ctest: the stop_after_bytes shim}

LOG=$WORK/log
printf 'seed\n' | evlog append "$LOG"
# 600,000 lines of 100 bytes: 60 MB, above the 8 MiB from which a file is streamed.
python3 -c '
import sys
w = sys.stdout.write
for i in range(600000):
    w(("line %d " % i).ljust(99, "x") + "\n")' >"$WORK/big"

# The whole file, offsets printed: one batch after the seed, in its own segment.
evlog append --atomic -p "$LOG" <"$WORK/big" >"$WORK/offsets"
assert_eq "1 600000" "$(sed -n '1p;$p' "$WORK/offsets" | tr '\n' ' ' | sed 's/ $//')" "offsets printed"
assert_eq 600000 "$(wc -l <"$WORK/offsets" | tr -d ' ')" "offsets printed"
evlog tail "$LOG" --from 1 | cmp -s - "$WORK/big" || fail "the log does not hold the file"
[[ -f "$LOG/00000000000000000001.seg" ]] || fail "the batch did not start a segment of its own: $(ls "$LOG")"
evlog verify "$LOG" >/dev/null

# A bad record near the end: nothing of the 600,000 is appended, and the log goes on.
cp "$WORK/big" "$WORK/bad"
printf 'good\n' >>"$WORK/bad"
python3 -c 'print("z" * 2000000)' >>"$WORK/bad"  # above the log's 1 MiB maximum event
expect_status 1 evlog append --atomic "$LOG" <"$WORK/bad"
assert_contains "$(cat "$WORK/stderr")" "input record 600002:" "a record too large for the log"
assert_contains "$(cat "$WORK/stderr")" "nothing was appended" "a record too large for the log"
assert_eq 600001 "$(event_count "$LOG")" "events after a refused batch"
evlog verify "$LOG" >/dev/null
assert_eq 600001 "$(printf 'next\n' | evlog append -p "$LOG")" "the next append's offset"

# --expect-next is checked before the input is read: a stale one appends nothing, exit 3.
expect_status 3 evlog append --expect-next 5 "$LOG" <"$WORK/big"
assert_contains "$(cat "$WORK/stderr")" "--expect-next" "stale --expect-next"
evlog append --expect-next 600002 "$LOG" <"$WORK/big"
assert_eq 1200002 "$(event_count "$LOG")" "events after --expect-next"

# The disk fills up in the middle of the batch: nothing of it is appended, the error says
# so once, and once there is room the log goes on.
FULL=$WORK/full
printf 'first\n' | evlog append "$FULL"
expect_status 1 env EVLOG_ENOSPC_DIR="$FULL" EVLOG_ENOSPC_AFTER=5000000 LD_PRELOAD="$ENOSPC_SHIM" \
  ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$EVLOG" append --atomic "$FULL" <"$WORK/big"
assert_contains "$(cat "$WORK/stderr")" "No space left on device" "a full disk mid-batch"
assert_contains "$(cat "$WORK/stderr")" "nothing was appended" "a full disk mid-batch"
assert_eq 1 "$(grep -o 'not committed' "$WORK/stderr" | wc -l | tr -d ' ')" "a full disk mid-batch: said once"
assert_eq first "$(evlog tail "$FULL" --from beginning)" "the log after a full disk"
evlog verify "$FULL" >/dev/null
assert_eq 1 "$(printf 'after\n' | evlog append -p "$FULL")" "the next append's offset"

# Stopped in the middle of the batch: readers see none of it and other appenders wait.
# Killed there: none of it is ever seen, and the next appender cuts it away.
SLOW=$WORK/slow
printf 'first\n' | evlog append "$SLOW"
# The appender stops itself once 4 MiB of the batch are written (a SIGSTOP sent from here
# after watching the segment grow raced a fast machine: the batch was whole before it landed).
env EVLOG_STOP_DIR="$SLOW" EVLOG_STOP_AFTER=$((4 << 20)) LD_PRELOAD="$STOP_SHIM" \
  ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$EVLOG" append --atomic "$SLOW" <"$WORK/big" &
appender=$!
BACKGROUND_PIDS+=("$appender")
# The appender is a child of env, which exec()s it: the same PID.
stopped() { [[ "$(awk '{print $3}' "/proc/$appender/stat" 2>/dev/null)" == T ]]; }
wait_until 60 "the appender stopping itself mid-batch" stopped
(($(stat -c %s "$SLOW/00000000000000000001.seg") >= (4 << 20))) || fail "the appender stopped before the batch reached its segment"
assert_eq first "$(evlog tail "$SLOW" --from beginning)" "a reader while the batch is half written"
expect_status 1 evlog append --wait-lock 300ms "$SLOW" <<<"other"
assert_contains "$(cat "$WORK/stderr")" "LOCK" "another appender meanwhile"
kill -KILL "$appender"
wait "$appender" 2>/dev/null || true
assert_eq first "$(evlog tail "$SLOW" --from beginning)" "a reader after the kill"
assert_eq 1 "$(printf 'after\n' | evlog append -p "$SLOW" 2>/dev/null)" "the next append's offset"
assert_eq "$(printf 'first\nafter')" "$(evlog tail "$SLOW" --from beginning)" "the log after the kill"
evlog verify "$SLOW" >/dev/null

# From a pipe the lock is free while the producer is still writing. The producer sends
# 1 MiB and then waits for a release file: once the appender has read that much, it is in
# its reading phase, and an appender holding the lock there would hold it until released.
PIPED=$WORK/piped
printf 'first\n' | evlog append "$PIPED"
{
  head -c $((1 << 20)) "$WORK/big"
  for ((i = 0; i < 1200; i++)); do [[ -e "$WORK/release" ]] && break; sleep 0.05; done  # 60 s at most
  tail -c +$(((1 << 20) + 1)) "$WORK/big"
} | "$EVLOG" append --atomic "$PIPED" &
piped=$!
BACKGROUND_PIDS+=("$piped")
reading() { (($(awk '/^rchar/ {print $2}' "/proc/$piped/io" 2>/dev/null || echo 0) >= (1 << 20))); }
wait_until 60 "the piped appender reading its input" reading
assert_eq 1 "$(printf 'meanwhile\n' | evlog append -p --wait-lock 1s "$PIPED")" "an append while a pipe is read"
touch "$WORK/release"
wait "$piped"
assert_eq 600002 "$(event_count "$PIPED")" "events after the piped batch"
echo PASS
