# apply's effect is exactly once under kills (§C6): apply is killed just before each of its
# durability calls in turn (SQLite's and the group store's: an LD_PRELOAD shim counts
# fsync/fdatasync/msync), then run again to the end. Triggers in the target record every
# row change, so an event applied twice or skipped shows in that record as well as in the
# rows; the target must equal one built without kills, at the log's end. The log's group
# copy of the position may lag the target's, never lead it.
source "$(dirname "$0")/apply_lib.sh"
SHIM=${EVLOG_CRASH_SHIM:?set by ctest: the crash_at_sync shim}

# Two runs of --batch 10: ten inserts, then updates, a key change and deletes.
LONG=$WORK/long
CHANGES=$(
  update t '{"k":1}' '{"k":1,"v":"v1"}' '{"k":1,"v":"w1"}'
  update t '{"k":10001}' '{"k":2,"v":"v2"}' '{"k":10001,"v":"v2"}'
  delete t '{"k":3}' '{"k":3,"v":"v3"}'
  delete t '{"k":10}' '{"k":10,"v":"v10"}'
)
for k in {1..10}; do insert t "{\"k\":$k}" "{\"k\":$k,\"v\":\"v$k\"}"; done | evlog append "$LONG"
evlog append "$LONG" <<<"$CHANGES"
# One short run, for WAL mode (where a commit makes other durability calls).
SHORT=$WORK/short
for k in {1..3}; do insert t "{\"k\":$k}" "{\"k\":$k,\"v\":\"v$k\"}"; done | evlog append "$SHORT"
evlog append "$SHORT" <<<"$CHANGES"

SCHEMA="CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE changes (what TEXT);
CREATE TRIGGER t_i AFTER INSERT ON t BEGIN INSERT INTO changes VALUES ('i' || NEW.k); END;
CREATE TRIGGER t_u AFTER UPDATE ON t BEGIN INSERT INTO changes VALUES ('u' || NEW.k); END;
CREATE TRIGGER t_d AFTER DELETE ON t BEGIN INSERT INTO changes VALUES ('d' || OLD.k); END;"

# The rows and the changes they went through (the position is checked on its own).
dump() { sql "$1" '.dump t changes' >"$2"; }

# crash_loop JOURNAL_MODE LOG END CHANGES RUNS: END is the log's next offset, CHANGES the
# number of row changes its events make (a key change is two: a delete and an insert), RUNS
# the number of transactions apply makes of them.
crash_loop() {
  local mode=$1 log=$2 end=$3 n status killed=0 target copy
  sql "$WORK/template.db" "PRAGMA journal_mode = $mode;" >/dev/null
  sql "$WORK/template.db" "$SCHEMA"
  cp "$WORK/template.db" "$WORK/reference.db"
  expect_status 0 evlog apply "$log" --to "sqlite:$WORK/reference.db" -g reference --batch 10
  assert_contains "$(cat "$WORK/stderr")" "applied in $5 transaction" "$mode: runs"
  assert_eq "$4" "$(rows "$WORK/reference.db" 'SELECT count(*) FROM changes')" "$mode: row changes"
  dump "$WORK/reference.db" "$WORK/reference.sql"
  for ((n = 1; ; n++)); do
    ((n < 100)) || fail "$mode: apply did not finish within 100 durability calls"
    DB=$WORK/db-$n.db G=$mode$n
    cp "$WORK/template.db" "$DB"
    status=0
    EVLOG_CRASH_AT_SYNC=$n LD_PRELOAD=$SHIM ASAN_OPTIONS=verify_asan_link_order=0 \
      "$EVLOG" apply "$log" --to "sqlite:$DB" -g "$G" --batch 10 2>"$WORK/stderr" || status=$?
    ((status == 0)) && break
    assert_eq 137 "$status" "$mode: apply killed before durability call $n ($(cat "$WORK/stderr"))"
    killed=$((killed + 1))
    target=$(position "$DB" "$G" 2>/dev/null || true)  # empty if killed before _evlog_apply existed
    copy=$(group_line "$log" "$G" | cut -d' ' -f1)
    ((${copy:-0} <= ${target:-0})) || fail "$mode: killed at call $n: the group's copy $copy leads the target's $target"
    expect_status 0 evlog apply "$log" --to "sqlite:$DB" -g "$G" --batch 10
    dump "$DB" "$WORK/db.sql"
    assert_files_equal "$WORK/reference.sql" "$WORK/db.sql" "$mode: killed at call $n, then run again"
    assert_eq "$end" "$(position "$DB" "$G")" "$mode: killed at call $n: the target's position at the end"
    rm -f "$DB"
  done
  echo "$mode: apply killed at each of $killed durability calls"
  ((killed >= 4)) || fail "$mode: expected crashes at several durability calls"
  rm -f "$WORK"/template.db* "$WORK"/reference.db*
}

crash_loop delete "$LONG" 14 15 2
crash_loop wal "$SHORT" 7 7 1
echo PASS
