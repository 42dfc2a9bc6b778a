# Import into an existing empty log commits its events and the archive's group positions as
# one unit (issue 7, item 10). The import is killed just before each of its durability calls
# in turn (an LD_PRELOAD shim counts fsync/fdatasync/msync, and writes to segments); after each crash, a writer that
# knows nothing of groups appends, and then whoever opens the groups next must see either
# the events with their positions, or neither. That writer appends more events than the
# import holds, so that only the record's digest, not the log's length, tells whose events
# stand at those offsets.
source "$(dirname "$0")/lib.sh"
SHIM=${EVLOG_CRASH_SHIM:?set by ctest: the crash_at_sync shim}

printf 'a\nb\nc\n' | evlog append "$WORK/src"
evlog ack "$WORK/src" -g billing 1
evlog ack "$WORK/src" -g audit 0
evlog export "$WORK/src" --format archive -o "$WORK/src.evlog"

committed=0 dropped=0
for ((n = 1; ; n++)); do
  ((n < 100)) || fail "the import did not finish within 100 durability calls"
  LOG=$WORK/log$n
  evlog append "$LOG" </dev/null  # an existing, empty log
  status=0
  EVLOG_CRASH_AT_SYNC=$n EVLOG_CRASH_AT_WRITES_TO=.seg LD_PRELOAD=$SHIM ASAN_OPTIONS=verify_asan_link_order=0 \
    "$EVLOG" import "$LOG" "$WORK/src.evlog" 2>"$WORK/stderr" || status=$?
  if ((status == 0)); then
    assert_eq "audit 1,billing 2," "$(evlog groups "$LOG" | awk 'NR > 1 {printf "%s %s,", $1, $2}')" "finished import"
    break
  fi
  assert_eq 137 "$status" "import killed before durability call $n ($(cat "$WORK/stderr"))"
  printf 'w\nx\ny\nz\n' | evlog append "$LOG"
  events=$(evlog tail "$LOG" --from beginning | tr '\n' ,)
  groups=$(evlog groups "$LOG" | awk 'NR > 1 {printf "%s %s,", $1, $2}')
  case $events in
    a,b,c,w,x,y,z,)
      assert_eq "audit 1,billing 2," "$groups" "crash before call $n: events imported, so the positions too"
      committed=$((committed + 1)) ;;
    w,x,y,z,)
      assert_eq "" "$groups" "crash before call $n: nothing imported, so no positions"
      dropped=$((dropped + 1)) ;;
    *) fail "crash before call $n left events [$events]" ;;
  esac
done
echo "crash points: $((n - 1)) ($committed with the events committed, $dropped without)"
((committed >= 2 && dropped >= 2)) || fail "expected crashes on both sides of the commit point"
echo PASS
