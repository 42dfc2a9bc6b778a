# capture sqlite is exactly once under crashes (change-events.md §C5.2): the relay is killed
# just before each of its durability calls in turn (the log's fdatasync, SQLite's journal and
# database syncs; an LD_PRELOAD shim counts them), the application then commits one more
# change, and a restarted relay must leave every change in the log exactly once, in order.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/capture_lib.sh"
SHIM=${EVLOG_CRASH_SHIM:?set by ctest: the crash_at_sync shim}

BASE=$WORK/base.db
app "$BASE" "CREATE TABLE t (id INTEGER PRIMARY KEY, v)"
evlog capture sqlite "$BASE" --install -t t 2>/dev/null
app "$BASE" "INSERT INTO t VALUES (1, 'a'), (2, 'b'); BEGIN; UPDATE t SET v = 'c'; DELETE FROM t WHERE id = 1; COMMIT;
             INSERT INTO t VALUES (3, 'd')"
expected=$(seq 1 7)

crashed=0
for ((n = 1; ; n++)); do
  ((n < 60)) || fail "the relay did not finish within 60 durability calls"
  DB=$WORK/app$n.db LOG=$WORK/log$n
  cp "$BASE" "$DB"
  status=0
  EVLOG_CRASH_AT_SYNC=$n LD_PRELOAD=$SHIM ASAN_OPTIONS=verify_asan_link_order=0 \
    "$EVLOG" capture sqlite "$DB" "$LOG" 2>"$WORK/stderr" || status=$?
  if ((status == 0)); then
    assert_eq "$(seq 1 6)" "$(outbox_ids "$LOG")" "a relay that was not killed"
    break
  fi
  assert_eq 137 "$status" "relay killed before durability call $n ($(cat "$WORK/stderr"))"
  crashed=$((crashed + 1))
  app "$DB" "INSERT INTO t VALUES (4, 'after the crash')"
  evlog capture sqlite "$DB" "$LOG" 2>/dev/null || fail "the relay restarted after crash $n failed"
  assert_eq "$expected" "$(outbox_ids "$LOG")" "outbox ids in the log after a crash before call $n"
  assert_eq 0 "$(outbox_rows "$DB")" "outbox after the restart (crash $n)"
done
echo "crash points: $crashed"
((crashed >= 3)) || fail "expected the relay to pass at least 3 durability calls"
echo PASS
