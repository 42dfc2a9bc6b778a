# A key-changing update is two events of one batch (change-events.md §C4): the delete of the
# old key, marked with evlog.new_key, then the update. So key compaction keeps each key's
# last word, and a target rebuilt from a compacted log matches the source: before, insert 1,
# rekey 1 -> 2, delete 2 left the insert of row 1 as key 1's latest change, and the rebuilt
# target kept a row 1 the source no longer had. apply drops the delete when its update
# follows (the update moves the row); when compaction removed the update, it applies it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/capture_lib.sh"
DB=$WORK/app.db LOG=$WORK/log

app "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
           CREATE TABLE pad (n INTEGER PRIMARY KEY, filler TEXT);" >/dev/null
evlog capture sqlite "$DB" --install -t t -t pad 2>/dev/null
app "$DB" "INSERT INTO t VALUES (1, 'one'), (5, 'five');
           UPDATE t SET id = 2 WHERE id = 1;
           DELETE FROM t WHERE id = 2;
           UPDATE t SET id = 6, v = 'six' WHERE id = 5;
           UPDATE t SET v = 'SIX' WHERE id = 6;
           INSERT INTO t VALUES (1, 'one again');"
# Small segments, and changes of another table after these, so that t's events lie in
# closed segments, which are the ones key compaction rewrites.
evlog append "$LOG" --segment-bytes 4096 </dev/null
evlog capture sqlite "$DB" "$LOG" 2>/dev/null
expected='1 c t {id=1} null {id=1,v=T"one"}
2 c t {id=5} null {id=5,v=T"five"}
3 d t {id=1} {id=1,v=T"one"} null new_key=["t",2]
3 u t {id=2} {id=1,v=T"one"} {id=2,v=T"one"}
4 d t {id=2} {id=2,v=T"one"} null
5 d t {id=5} {id=5,v=T"five"} null new_key=["t",6]
5 u t {id=6} {id=5,v=T"five"} {id=6,v=T"six"}
6 u t {id=6} {id=6,v=T"six"} {id=6,v=T"SIX"}
7 c t {id=1} null {id=1,v=T"one again"}'
assert_eq "$expected" "$(changes "$LOG")" "a key change is a delete of the old key, then the update"
for i in $(seq 1 40); do echo "INSERT INTO pad VALUES ($i, printf('%.200c', 'p'));"; done | app "$DB"
evlog capture sqlite "$DB" "$LOG" 2>/dev/null
cp -r "$LOG" "$WORK/log-before-compaction"

source_rows() { app "$1" "SELECT id, v FROM t ORDER BY id"; }
assert_eq $'1|one again\n6|SIX' "$(source_rows "$DB")" "the source"

# Applied in full, the delete before each update is dropped: the update moves the row.
evlog apply "$LOG" --to "sqlite:$WORK/full.db" -g full --create-tables 2>/dev/null
assert_eq "$(source_rows "$DB")" "$(source_rows "$WORK/full.db")" "the whole log applied"

# A target that applied the first two events (the inserts of rows 1 and 5) before the
# compaction: the uncompacted copy applied, then set back to that state.
evlog apply "$WORK/log-before-compaction" --to "sqlite:$WORK/lagging.db" -g lagging --create-tables 2>/dev/null
app "$WORK/lagging.db" "DELETE FROM t; DELETE FROM pad; INSERT INTO t VALUES (1, 'one'), (5, 'five');
                        UPDATE _evlog_apply SET next_offset = 2;"

evlog compact "$LOG" --keep-latest-per-key --ignore-groups >/dev/null
# Key 1's last word is its re-insert, key 2's the delete, key 5's the delete half of its
# key change (whose update compaction dropped for key 6's later change).
expected_kept='4 d t {id=2} {id=2,v=T"one"} null
5 d t {id=5} {id=5,v=T"five"} null new_key=["t",6]
6 u t {id=6} {id=6,v=T"six"} {id=6,v=T"SIX"}
7 c t {id=1} null {id=1,v=T"one again"}'
assert_eq "$expected_kept" "$(changes "$LOG" | grep ' t ')" "what key compaction keeps of t"

evlog apply "$LOG" --to "sqlite:$WORK/rebuilt.db" -g rebuilt --create-tables 2>"$WORK/stderr" ||
  fail "apply of the compacted log: $(cat "$WORK/stderr")"
assert_eq "$(source_rows "$DB")" "$(source_rows "$WORK/rebuilt.db")" "a target rebuilt from the compacted log"
evlog apply "$LOG" --to "sqlite:$WORK/lagging.db" -g lagging 2>"$WORK/stderr" ||
  fail "apply after compaction: $(cat "$WORK/stderr")"
assert_eq "$(source_rows "$DB")" "$(source_rows "$WORK/lagging.db")" "a target behind the compaction"

# A row's two events are never split between batches: a relay batch that reaches the
# segment's limit with only the delete fitting is made again without it. Rows of ~900
# bytes in 4 KiB segments: each batch holds three or four events.
DB2=$WORK/app2.db LOG2=$WORK/log2
app "$DB2" "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);" >/dev/null
evlog capture sqlite "$DB2" --install -t t 2>/dev/null
evlog append "$LOG2" --segment-bytes 4096 </dev/null
{
  for i in $(seq 1 12); do echo "INSERT INTO t VALUES ($i, printf('%.900c', 'x'));"; done
  for i in $(seq 1 12); do echo "UPDATE t SET id = id + 100 WHERE id = $i;"; done
} | app "$DB2"
evlog capture sqlite "$DB2" "$LOG2" 2>/dev/null
evlog tail "$LOG2" --from beginning --json | python3 -c '
import json, sys
events = [json.loads(l) for l in sys.stdin]
assert len(events) == 12 + 2 * 12, len(events)
for i, e in enumerate(events):
    if "evlog.new_key" in e["headers"]:
        nxt = events[i + 1]
        assert nxt["key"] == e["headers"]["evlog.new_key"], (e, nxt)
        assert nxt["timestamp"] == e["timestamp"], ("its update is in another batch", e["offset"])
print("ok")' >/dev/null || fail "a key change split between batches"
evlog apply "$LOG2" --to "sqlite:$WORK/t2.db" -g g --create-tables 2>/dev/null
assert_eq "$(app "$DB2" "SELECT id, length(v) FROM t ORDER BY id")" \
  "$(app "$WORK/t2.db" "SELECT id, length(v) FROM t ORDER BY id")" "the target after split batches"
echo PASS
