# Issue 9, torture test 5: the disk fills up (ENOSPC: injected by a shim everywhere, and a
# real 1 MiB tmpfs where one can be mounted), the file-size limit is hit (EFBIG, through
# `ulimit -f`), or a sync fails (EIO) during appends, rolls, compaction and acks. Each time
# the command fails with a clear error naming the cause, nothing is acknowledged, nothing
# committed is lost, the log verifies, and appending works again once there is room.
source "$(dirname "$0")/lib.sh"
SHIM=${EVLOG_ENOSPC_SHIM:?set by ctest: the enospc_after shim}

# full BUDGET CMD...: runs CMD on a disk with BUDGET bytes left under $WORK.
full() {
  local budget=$1
  shift
  EVLOG_ENOSPC_DIR=$WORK EVLOG_ENOSPC_AFTER=$budget LD_PRELOAD=$SHIM \
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$@"
}

# intact LOG EXPECTED_FILE: the log verifies and holds exactly the expected payloads.
intact() {
  expect_status 0 evlog verify "$1" >/dev/null
  evlog tail "$1" --from beginning >"$WORK/actual"
  assert_files_equal "$2" "$WORK/actual"
}

LOG=$WORK/log
seq -f 'committed %g' 1 200 >"$WORK/expected"
# Keyed, twenty keys: key compaction has superseded events to remove, so it rewrites.
awk '{print "k" NR % 20 ":" $0}' "$WORK/expected" | evlog append "$LOG" --segment-bytes 64K -K :

# An append whose frame does not fit: refused, no offset printed, the cause named.
for budget in 0 100 5000; do
  seq -f "lost-$budget %g $(printf '%0400d' 0)" 1 40 >"$WORK/batch"
  status=0
  full "$budget" "$EVLOG" append "$LOG" --atomic -p <"$WORK/batch" >"$WORK/offsets" 2>"$WORK/stderr" || status=$?
  assert_eq 1 "$status" "exit status of an append on a full disk (budget $budget)"
  assert_contains "$(cat "$WORK/stderr")" "No space left on device" "append names ENOSPC"
  assert_eq "" "$(cat "$WORK/offsets")" "offsets acknowledged on a full disk"
  intact "$LOG" "$WORK/expected"
done

# A roll on a full disk: the batch does not fit the current segment, and the new segment
# cannot be created.
big=$(printf 'r%.0s' $(seq 1 30000))
for budget in 0 40 70; do
  status=0
  echo "roll-$budget $big" | full "$budget" "$EVLOG" append "$LOG" -p >"$WORK/offsets" 2>"$WORK/stderr" || status=$?
  assert_eq 1 "$status" "exit status of a roll on a full disk (budget $budget)"
  assert_contains "$(cat "$WORK/stderr")" "No space left on device" "a roll names ENOSPC"
  assert_eq "" "$(cat "$WORK/offsets")" "offsets acknowledged by a failed roll"
  intact "$LOG" "$WORK/expected"
done
# Room again: the same appends succeed after what was committed.
for i in 1 2 3; do echo "roll-$i $big" | evlog append "$LOG"; echo "roll-$i $big" >>"$WORK/expected"; done
seq -f 'after %g' 1 5 | evlog append "$LOG"
seq -f 'after %g' 1 5 >>"$WORK/expected"
intact "$LOG" "$WORK/expected"
(($(ls "$LOG"/*.seg | wc -l) >= 2)) || fail "the appends should have rolled"

# Compaction rewriting closed segments on a full disk: refused, the log unchanged.
evlog tail "$LOG" --from beginning --format '%o %s\n' >"$WORK/before-compact"
for budget in 0 3000; do
  status=0
  full "$budget" "$EVLOG" compact "$LOG" --keep-latest-per-key >/dev/null 2>"$WORK/stderr" || status=$?
  assert_eq 1 "$status" "exit status of compaction on a full disk (budget $budget)"
  assert_contains "$(cat "$WORK/stderr")" "No space left on device" "compaction names ENOSPC"
  expect_status 0 evlog verify "$LOG" >/dev/null
  assert_eq "$(cat "$WORK/before-compact")" "$(evlog tail "$LOG" --from beginning --format '%o %s\n')" \
    "events after a failed compaction"
done
evlog compact "$LOG" --keep-latest-per-key >/dev/null
expect_status 0 evlog verify "$LOG" >/dev/null

# ack_refused LOG ERROR RUNNER...: group g acks offset 10, then RUNNER `evlog ack` of offset
# 20 must fail naming ERROR and leave the position at 11; a plain ack of 20 then works.
ack_refused() {
  local log=$1 error=$2 status=0
  shift 2
  evlog ack "$log" -g g 10
  "$@" "$EVLOG" ack "$log" -g g 20 2>"$WORK/stderr" || status=$?
  assert_eq 1 "$status" "exit status of an ack that fails with '$error'"
  assert_contains "$(cat "$WORK/stderr")" "$error" "the failed ack names its cause"
  assert_eq 11 "$(group_position "$log")" "position after an ack that failed with '$error'"
  evlog ack "$log" -g g 20
  assert_eq 21 "$(group_position "$log")" "position after the next ack"
}
group_position() { evlog groups "$1" --json | sed -n 's/.*"position":\([0-9]*\).*/\1/p'; }

# The group store on a full disk: an ack is refused and the position stays where it was.
ack_refused "$LOG" "No space left on device" full 0

# EIO from a sync: a disk that reports a write error. The crash shim makes the N-th
# durability call (fsync, fdatasync, msync) fail instead of killing the process, for each N
# in turn until the command no longer reaches the N-th call: appends, appends that roll,
# key compaction and an ack. Every failure is exit 1 naming the error with nothing
# acknowledged; what was not made durable is not in the log; the next command succeeds.
SYNC_SHIM=${EVLOG_CRASH_SHIM:?set by ctest: the crash_at_sync shim}
sync_fails_at() {
  local n=$1
  shift
  EVLOG_CRASH_AT_SYNC=$n EVLOG_SYNC_FAULT=eio LD_PRELOAD=$SYNC_SHIM \
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "$@"
}
# eio_each_sync NAME LOG EXPECTED_FILE INPUT_FILE: appends INPUT_FILE with each sync failing in
# turn; the first run that gets through is acknowledged and joins EXPECTED_FILE.
eio_each_sync() {
  local name=$1 log=$2 expected=$3 input=$4 n status
  for ((n = 1; n <= 20; n++)); do
    status=0
    sync_fails_at "$n" "$EVLOG" append "$log" --atomic -p <"$input" >"$WORK/offsets" 2>"$WORK/stderr" || status=$?
    if ((status == 0)); then
      ((n > 1)) || fail "$name got through with its first sync call failing"
      (($(wc -l <"$WORK/offsets") == $(wc -l <"$input"))) || fail "$name: acknowledged $(cat "$WORK/offsets")"
      cat "$input" >>"$expected"
      intact "$log" "$expected"
      return
    fi
    assert_eq 1 "$status" "exit status of $name when sync call $n fails"
    assert_contains "$(cat "$WORK/stderr")" "Input/output error" "$name names EIO (sync call $n)"
    assert_eq "" "$(cat "$WORK/offsets")" "offsets acknowledged by $name when sync call $n fails"
    intact "$log" "$expected"
  done
  fail "$name never got through: more than 20 sync calls?"
}
LOG4=$WORK/eio
seq -f 'k%g:kept' 1 300 | awk -F: '{print "k" NR % 10 ":" $0}' >"$WORK/input4"
evlog append "$LOG4" --segment-bytes 64K -K : <"$WORK/input4"
evlog tail "$LOG4" --from beginning >"$WORK/expected4"
for round in 1 2 3; do
  seq -f "eio $round %g" 1 5 >"$WORK/batch"
  eio_each_sync "an append (round $round)" "$LOG4" "$WORK/expected4" "$WORK/batch"
  echo "eio roll $round $big$big" >"$WORK/batch"  # 60 KB: each one rolls the 64 KiB segment
  eio_each_sync "an append that may roll (round $round)" "$LOG4" "$WORK/expected4" "$WORK/batch"
done
(($(ls "$LOG4"/*.seg | wc -l) >= 3)) || fail "the EIO appends should have rolled twice"
# Key compaction replaces closed segments one at a time, so a failure may come after some
# were replaced (a failed directory sync after a rename): each failure leaves a log that
# verifies, holds nothing that was not there before, and keeps the latest event of every key;
# once compaction gets through, the log reads as a fault-free compaction of a copy does.
evlog tail "$LOG4" --from beginning --format '%o %k %s\n' >"$WORK/before-compact"
sort -k2,2 -s "$WORK/before-compact" | awk '{latest[$2] = $0} END {for (k in latest) print latest[k]}' |
  sort >"$WORK/latest-per-key"
cp -r "$LOG4" "$WORK/eio-reference"
evlog compact "$WORK/eio-reference" --keep-latest-per-key >/dev/null
for ((n = 1; n <= 40; n++)); do
  status=0
  sync_fails_at "$n" "$EVLOG" compact "$LOG4" --keep-latest-per-key >/dev/null 2>"$WORK/stderr" || status=$?
  ((status == 0)) && break
  assert_eq 1 "$status" "exit status of compaction when sync call $n fails"
  assert_contains "$(cat "$WORK/stderr")" "Input/output error" "compaction names EIO (sync call $n)"
  expect_status 0 evlog verify "$LOG4" >/dev/null
  evlog tail "$LOG4" --from beginning --format '%o %k %s\n' | sort >"$WORK/after-compact"
  assert_eq "" "$(sort "$WORK/before-compact" | comm -13 - "$WORK/after-compact")" \
    "events that appeared when compaction failed at sync call $n"
  assert_eq "" "$(comm -23 "$WORK/latest-per-key" "$WORK/after-compact")" \
    "latest events of their keys lost when compaction failed at sync call $n"
done
((status == 0)) || fail "compaction never got through"
((n > 1)) || fail "compaction made no sync call: it had nothing to rewrite"
echo "compaction got through once $((n - 1)) sync calls had failed in turn"
expect_status 0 evlog verify "$LOG4" >/dev/null
assert_eq "$(evlog tail "$WORK/eio-reference" --from beginning --format '%o %k %s\n')" \
  "$(evlog tail "$LOG4" --from beginning --format '%o %k %s\n')" "the log compacted through sync failures"
# An ack whose commit cannot be synced: refused, the position stays.
ack_refused "$LOG4" "Input/output error" sync_fails_at 1

# EFBIG: the process's file-size limit (in KiB for bash's ulimit -f) below the segment's end.
LOG2=$WORK/fbig
seq -f 'small %g' 1 100 >"$WORK/expected2"
evlog append "$LOG2" <"$WORK/expected2"
seq -f "too big %g $(printf '%0200d' 0)" 1 100 >"$WORK/too-big"
status=0
(ulimit -f 8 && "$EVLOG" append "$LOG2" --atomic -p <"$WORK/too-big" >"$WORK/offsets" 2>"$WORK/stderr") || status=$?
assert_eq 1 "$status" "exit status of an atomic append over the file-size limit"
assert_contains "$(cat "$WORK/stderr")" "File too large" "append names EFBIG"
assert_eq "" "$(cat "$WORK/offsets")" "offsets acknowledged over the file-size limit"
intact "$LOG2" "$WORK/expected2"
# Without --atomic, an append commits as stdin arrives: whatever it acknowledged before the
# limit is in the log, and nothing after it.
status=0
(ulimit -f 8 && seq -f "too big %g $(printf '%0200d' 0)" 1 100 | "$EVLOG" append "$LOG2" -p >"$WORK/offsets" 2>"$WORK/stderr") ||
  status=$?
assert_eq 1 "$status" "exit status of an append over the file-size limit"
assert_contains "$(cat "$WORK/stderr")" "File too large" "append names EFBIG"
head -n "$(wc -l <"$WORK/offsets")" "$WORK/too-big" >>"$WORK/expected2"
intact "$LOG2" "$WORK/expected2"
seq -f 'later %g' 1 3 | evlog append "$LOG2"
seq -f 'later %g' 1 3 >>"$WORK/expected2"
intact "$LOG2" "$WORK/expected2"
# A producer that writes and then waits (for the offsets, or for more to happen): append
# must report a failed commit and exit at once, not when the producer next writes. Its
# input stays open and silent throughout.
rm -f "$WORK/silent" && mkfifo "$WORK/silent"
exec 9<>"$WORK/silent"
(ulimit -f 8 && exec "$EVLOG" append "$LOG2" -p <"$WORK/silent" >"$WORK/offsets" 2>"$WORK/stderr") &
pid=$!
BACKGROUND_PIDS+=("$pid")
seq -f "too big %g $(printf '%0200d' 0)" 1 60 >&9
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "append still runs 5 s after its commit failed, waiting for input"
status=0 && wait "$pid" || status=$?
exec 9>&-
assert_eq 1 "$status" "exit status of an append whose commit failed while its producer was silent"
assert_contains "$(cat "$WORK/stderr")" "File too large" "append names EFBIG at once"
head -n "$(wc -l <"$WORK/offsets")" "$WORK/too-big" >>"$WORK/expected2"
intact "$LOG2" "$WORK/expected2"

# A real full file system, where this machine lets us mount one.
MNT=$WORK/tmpfs
mkdir "$MNT"
if mount -t tmpfs -o size=1m tmpfs "$MNT" 2>/dev/null; then
  trap 'umount "$MNT" 2>/dev/null || true; cleanup' EXIT
  LOG3=$MNT/log
  : >"$WORK/expected3"
  evlog append "$LOG3" --segment-bytes 256K </dev/null
  for ((i = 0; i < 100; i++)); do
    seq -f "batch $i event %g $(printf '%01000d' 0)" 1 20 >"$WORK/batch"
    status=0
    "$EVLOG" append "$LOG3" --atomic -p <"$WORK/batch" >"$WORK/offsets" 2>"$WORK/stderr" || status=$?
    if ((status != 0)); then break; fi
    cat "$WORK/batch" >>"$WORK/expected3"
  done
  assert_eq 1 "$status" "exit status once the tmpfs is full"
  assert_contains "$(cat "$WORK/stderr")" "No space left on device" "the full tmpfs is named"
  assert_eq "" "$(cat "$WORK/offsets")" "offsets acknowledged on the full tmpfs"
  intact "$LOG3" "$WORK/expected3"
  mount -o remount,size=8m "$MNT"
  seq -f 'room again %g' 1 3 | evlog append "$LOG3"
  seq -f 'room again %g' 1 3 >>"$WORK/expected3"
  intact "$LOG3" "$WORK/expected3"
  echo "tmpfs: full after $(wc -l <"$WORK/expected3") events"
else
  echo "tmpfs cannot be mounted here: ENOSPC was injected only"
fi
echo PASS
