# apply refuses, naming the event's offset, an event that is not an envelope, a missing table
# or column, and a value the target refuses; nothing of that run's transaction is applied,
# and a re-run once the target is fixed resumes at the same event. A target fed from another
# log is refused, as is a missing target (without --create-tables) and a corrupt log (4).
source "$(dirname "$0")/apply_lib.sh"

LOG=$WORK/log
DB=$WORK/target.db
sql "$DB" 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);'
insert t '{"id":1}' '{"id":1,"v":"one"}' | evlog append "$LOG"
expect_status 0 evlog apply "$LOG" --to "sqlite:$DB" -g g

# A run of three good events, then one that is not an envelope: none of the four applied.
{
  insert t '{"id":2}' '{"id":2,"v":"two"}'
  update t '{"id":1}' '{"id":1,"v":"one"}' '{"id":1,"v":"ONE"}'
  delete t '{"id":1}' '{"id":1,"v":"ONE"}'
  echo '{"op":"c","table":"t","key":{"id":3},"before":null}'
} | evlog append "$LOG"
expect_status 1 evlog apply "$LOG" --to "sqlite:$DB" -g g
assert_contains "$(cat "$WORK/stderr")" "event at offset 4: not a change event: it lacks one of" "non-envelope"
assert_contains "$(cat "$WORK/stderr")" "nothing of offsets 1..4 was applied, $DB stays at offset 1" "what was kept"
assert_eq "1|one" "$(rows "$DB" 'SELECT * FROM t')" "nothing of the run applied"
assert_eq 1 "$(position "$DB" g)" "position unchanged"
assert_eq "1 4" "$(group_line "$LOG" g)" "group copy unchanged"

# The log cannot be fixed, but a target can: a second group, on a second target, meets a
# missing table, then a missing column, then a STRICT type check and a constraint; each
# time the re-run, after the fix, resumes at the very event that failed.
LOG2=$WORK/log2
DB2=$WORK/target2.db
{
  insert a '{"id":1}' '{"id":1,"x":"ok"}'
  insert b '{"id":1}' '{"id":1,"n":10,"extra":"e"}'
  insert b '{"id":2}' '{"id":2,"n":"not a number","extra":"e"}'
  insert b '{"id":3}' '{"id":3,"n":null,"extra":"e"}'
} | evlog append "$LOG2"
sql "$DB2" 'CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT);'
expect_status 1 evlog apply "$LOG2" --to "sqlite:$DB2" -g g
assert_contains "$(cat "$WORK/stderr")" "event at offset 1: table b does not exist in the target (create it, or run with --create-tables)" "missing table"
assert_eq 0 "$(rows "$DB2" 'SELECT count(*) FROM a')" "the run's first event rolled back too"
sql "$DB2" 'CREATE TABLE b (id INTEGER PRIMARY KEY, n INTEGER NOT NULL) STRICT;'
expect_status 1 evlog apply "$LOG2" --to "sqlite:$DB2" -g g
assert_contains "$(cat "$WORK/stderr")" "event at offset 1: table b has no column extra" "missing column"
sql "$DB2" 'ALTER TABLE b ADD COLUMN extra TEXT;'
expect_status 1 evlog apply "$LOG2" --to "sqlite:$DB2" -g g
assert_contains "$(cat "$WORK/stderr")" "event at offset 2: $DB2: cannot store TEXT value in INTEGER column b.n (in: INSERT INTO \"b\"" "STRICT type check"
assert_contains "$(cat "$WORK/stderr")" "nothing of offsets 0..2 was applied" "STRICT type check: the run"
assert_eq "0|0" "$(rows "$DB2" 'SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b)')" "nothing applied"
sql "$DB2" 'DROP TABLE b; CREATE TABLE b (id INTEGER PRIMARY KEY, n ANY NOT NULL, extra TEXT) STRICT;'
expect_status 1 evlog apply "$LOG2" --to "sqlite:$DB2" -g g
assert_contains "$(cat "$WORK/stderr")" "event at offset 3: $DB2: NOT NULL constraint failed: b.n" "constraint"
sql "$DB2" 'DROP TABLE b; CREATE TABLE b (id INTEGER PRIMARY KEY, n ANY, extra TEXT) STRICT;'
expect_status 0 evlog apply "$LOG2" --to "sqlite:$DB2" -g g
assert_eq "$(printf '1|10|integer\n2|not a number|text\n3||null')" "$(rows "$DB2" 'SELECT id, n, typeof(n) FROM b ORDER BY id')" "after the fixes"

# A target fed from one log is refused by another log's apply of the same group.
expect_status 1 evlog apply "$LOG" --to "sqlite:$DB2" -g g
assert_contains "$(cat "$WORK/stderr")" "was fed by group g from another log (log id " "another log"
assert_eq 4 "$(position "$DB2" g)" "position of the other log untouched"

# A missing target is created only with --create-tables; a target that is neither sqlite:
# nor postgres, and --create-tables with postgres, are usage errors.
expect_status 1 evlog apply "$LOG" --to "sqlite:$WORK/missing.db" -g g
assert_contains "$(cat "$WORK/stderr")" "$WORK/missing.db: no such database (No such file or directory); create it, or run with --create-tables" "missing target"
[[ ! -e $WORK/missing.db ]] || fail "a missing target was created without --create-tables"
expect_status 2 evlog apply "$LOG" --to "mysql:x" -g g
assert_contains "$(cat "$WORK/stderr")" "expected sqlite:PATH, postgres://" "unknown target kind"
expect_status 2 evlog apply "$LOG" --to "postgres:dbname=x" -g g --create-tables
assert_contains "$(cat "$WORK/stderr")" "--create-tables works with sqlite: targets only" "--create-tables with postgres"
expect_status 2 evlog apply "$LOG" --to "sqlite:$DB"

# A position row edited by hand to something that is not an offset is refused, not read as
# 0 (which applied everything again); nothing is applied.
LOG4=$WORK/log4
DB4=$WORK/t4.db
sql "$DB4" 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);'
insert t '{"id":1}' '{"id":1,"v":"one"}' | evlog append "$LOG4"
expect_status 0 evlog apply "$LOG4" --to "sqlite:$DB4" -g g
for bad in "'four'" "1.5" "-1" "NULL"; do
  sql "$DB4" "UPDATE _evlog_apply SET next_offset = $bad WHERE grp = 'g'" 2>/dev/null || continue  # NOT NULL
  expect_status 1 evlog apply "$LOG4" --to "sqlite:$DB4" -g g
  assert_contains "$(cat "$WORK/stderr")" "_evlog_apply holds next_offset" "position $bad"
done
assert_eq "1|one" "$(rows "$DB4" 'SELECT * FROM t')" "nothing applied over a bad position"

# Changes to evlog's position table or SQLite's own tables are never applied (a source that
# is itself an apply target could otherwise move another group's position).
sql "$DB4" "UPDATE _evlog_apply SET next_offset = 1 WHERE grp = 'g'"
for table in _evlog_apply _EVLOG_APPLY sqlite_sequence; do
  OUTBOX_ID=0
  LOG5=$WORK/log5.$RANDOM
  delete "$table" '{"grp":"g"}' '{"grp":"g","log_id":"x","next_offset":1}' | evlog append "$LOG5"
  expect_status 1 evlog apply "$LOG5" --to "sqlite:$DB4" -g "g5$RANDOM"
  assert_contains "$(cat "$WORK/stderr")" "changes to it are not applied" "a change to $table"
done
assert_eq 1 "$(position "$DB4" g)" "the other group's position after changes to _evlog_apply"

# The position row deleted by hand under a following apply: it stops, saying so (it used to
# blame another apply of the group).
LOG6=$WORK/log6
DB6=$WORK/t6.db
insert f '{"id":1}' '{"id":1}' | evlog append "$LOG6"
"$EVLOG" apply "$LOG6" --to "sqlite:$DB6" -g g --create-tables -f 2>"$WORK/follow.err" &
follower=$!
BACKGROUND_PIDS+=("$follower")
applied_one() { [[ "$(position "$DB6" g 2>/dev/null)" == 1 ]]; }
wait_until 60 "the follower applied the first event" applied_one
sql "$DB6" "DELETE FROM _evlog_apply"
insert f '{"id":2}' '{"id":2}' | evlog append "$LOG6"
status=0
wait "$follower" || status=$?
assert_eq 1 "$status" "the follower's exit status ($(cat "$WORK/follow.err"))"
assert_contains "$(cat "$WORK/follow.err")" "was deleted from _evlog_apply while this apply ran" "deleted position row"

# A corrupt log: exit status 4, the run rolled back.
LOG3=$WORK/log3
insert t '{"id":1}' '{"id":1,"v":"MARKER"}' | evlog append "$LOG3"
python3 - "$LOG3" <<'PY'
import glob, sys
seg = sorted(glob.glob(sys.argv[1] + "/*.seg"))[0]
data = bytearray(open(seg, "rb").read())
data[data.find(b"MARKER")] ^= 0x01
open(seg, "r+b").write(data)
PY
expect_status 4 evlog apply "$LOG3" --to "sqlite:$WORK/t3.db" -g g --create-tables
assert_contains "$(cat "$WORK/stderr")" ".seg" "corruption names the segment"
echo PASS
