# Issue 9, torture test 5: the disk fills up (ENOSPC: injected by a shim everywhere, and a
# real 1 MiB tmpfs where one can be mounted) or the file-size limit is hit (EFBIG, through
# `ulimit -f`) during appends, rolls and compaction. Each time the command fails with a clear
# error naming the cause, nothing is acknowledged, nothing committed is lost, the log
# verifies, and appending works again once there is room.
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

# The group store on a full disk: an ack is refused and the position stays where it was.
evlog ack "$LOG" -g g 10
status=0
full 0 "$EVLOG" ack "$LOG" -g g 20 2>"$WORK/stderr" || status=$?
assert_eq 1 "$status" "exit status of an ack on a full disk"
assert_contains "$(cat "$WORK/stderr")" "No space left on device" "ack names ENOSPC"
assert_eq 11 "$(evlog groups "$LOG" --json | sed -n 's/.*"position":\([0-9]*\).*/\1/p')" "position after a failed ack"

# EFBIG: the process's file-size limit (in KiB for bash's ulimit -f) below the segment's end.
LOG2=$WORK/fbig
seq -f 'small %g' 1 100 >"$WORK/expected2"
evlog append "$LOG2" <"$WORK/expected2"
status=0
(ulimit -f 8 && seq -f "too big %g $(printf '%0200d' 0)" 1 100 | "$EVLOG" append "$LOG2" -p >"$WORK/offsets" 2>"$WORK/stderr") ||
  status=$?
assert_eq 1 "$status" "exit status of an append over the file-size limit"
assert_contains "$(cat "$WORK/stderr")" "File too large" "append names EFBIG"
assert_eq "" "$(cat "$WORK/offsets")" "offsets acknowledged over the file-size limit"
intact "$LOG2" "$WORK/expected2"
seq -f 'later %g' 1 3 | evlog append "$LOG2"
seq -f 'later %g' 1 3 >>"$WORK/expected2"
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
