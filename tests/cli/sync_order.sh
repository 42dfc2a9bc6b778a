# `evlog append` acknowledges (prints offsets with -p) only what is durable: every write of
# offsets to stdout follows an fdatasync of the segment made since the previous one. A kill
# loop cannot show this (SIGKILL keeps the page cache), so an LD_PRELOAD shim records the
# order of fdatasync/fsync and stdout writes (tests/cli/sync_order_trace.cc).
source "$(dirname "$0")/lib.sh"

[[ -n ${EVLOG_SYNC_TRACE_SHIM:-} ]] || fail "EVLOG_SYNC_TRACE_SHIM is not set (run through ctest)"
LOG=$WORK/log

# traced_append TRACE ARGS...: evlog append ARGS... "$LOG" with stdin as is, under the shim.
traced_append() {
  local trace=$1
  shift
  rm -f "$trace"
  EVLOG_SYNC_TRACE=$trace LD_PRELOAD=$EVLOG_SYNC_TRACE_SHIM ASAN_OPTIONS=verify_asan_link_order=0 \
    "$EVLOG" append "$@" "$LOG" >"$WORK/offsets"
}

# Prints the first stdout write not preceded by a segment fdatasync since the previous one.
unsynced_acks() {
  awk '/^fdatasync .*\.seg$/ { synced = 1 }
       /^stdout$/ { if (!synced) print "stdout write " ++n " at trace line " NR " without an fdatasync before it"; else ++n; synced = 0 }' "$1"
}

# The default mode, one commit.
printf 'a\nb\n' | traced_append "$WORK/t1" -p
assert_eq "$(printf '0\n1')" "$(cat "$WORK/offsets")" "offsets printed"
assert_eq "" "$(unsynced_acks "$WORK/t1")" "default append: $(cat "$WORK/t1")"

# Streaming input that pauses commits more than once: each commit is synced before its offsets.
# Each line is sent once the previous one's offset is out, so that the input is three commits
# however slowly the (sanitized, loaded) process starts.
{
  echo c
  wait_until 120 "offset 2 printed" grep -qx 2 "$WORK/offsets"
  echo d
  wait_until 120 "offset 3 printed" grep -qx 3 "$WORK/offsets"
  echo e
} | traced_append "$WORK/t2" -p
assert_eq "$(printf '2\n3\n4')" "$(cat "$WORK/offsets")" "streamed offsets"
[[ $(grep -c '^stdout$' "$WORK/t2") -eq 3 ]] || fail "the paused input was not three commits: $(cat "$WORK/t2")"
assert_eq "" "$(unsynced_acks "$WORK/t2")" "streaming append: $(cat "$WORK/t2")"

printf 'f\ng\n' | traced_append "$WORK/t3" -p --sync always
assert_eq "" "$(unsynced_acks "$WORK/t3")" "--sync always: $(cat "$WORK/t3")"

# The check itself can fail: --sync none prints offsets with no fdatasync at all.
printf 'h\n' | traced_append "$WORK/t4" -p --sync none
[[ -n $(unsynced_acks "$WORK/t4") ]] || fail "--sync none showed a synced acknowledgement: $(cat "$WORK/t4")"
