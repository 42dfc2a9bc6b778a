# Creating the group store survives a crash at each step: the first ack is killed just
# before each of its durability calls in turn (an LD_PRELOAD shim counts fsync, fdatasync
# and writes to data.mdb, which LMDB commits through an O_DSYNC descriptor). After each
# crash the log has either no groups/data.mdb (no groups) or a complete one, never an empty
# one (which is damage, format-spec §11), and the ack made again succeeds.
source "$(dirname "$0")/lib.sh"
SHIM=${EVLOG_CRASH_SHIM:?set by ctest: the crash_at_sync shim}

for ((n = 1; ; n++)); do
  ((n < 50)) || fail "the first ack did not finish within 50 durability calls"
  LOG=$WORK/log$n
  printf 'a\nb\n' | evlog append "$LOG"
  status=0
  EVLOG_CRASH_AT_SYNC=$n EVLOG_CRASH_AT_WRITES_TO=data.mdb LD_PRELOAD=$SHIM ASAN_OPTIONS=verify_asan_link_order=0 \
    "$EVLOG" ack "$LOG" -g billing 0 2>"$WORK/stderr" || status=$?
  ((status == 0)) && break
  assert_eq 137 "$status" "ack killed before durability call $n ($(cat "$WORK/stderr"))"
  if [[ -e $LOG/groups/data.mdb ]]; then
    [[ -s $LOG/groups/data.mdb ]] || fail "crash before call $n left an empty data.mdb"
  fi
  position=$(group_position "$LOG" billing)  # fails on a damaged store
  [[ $position == 0 || $position == 1 ]] || fail "crash before call $n: billing at $position"
  evlog ack "$LOG" -g billing 0
  assert_eq 1 "$(group_position "$LOG" billing)" "the ack after a crash before call $n"
done
((n > 4)) || fail "only $((n - 1)) crash points: the creation's steps were not all reached"
assert_eq 1 "$(group_position "$LOG" billing)" "the ack that ran to its end"
echo "ok"
