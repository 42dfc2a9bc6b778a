# `evlog apply --to postgres` (format-spec/change-events.md §C6.2) against a real server.
# PostgreSQL -> log -> PostgreSQL with every mapped type (arrays, jsonb, json, numeric, bytea,
# NaN, infinities, -0, NULLs), unchanged TOASTed columns, key-changing updates, a composite
# key, REPLICA IDENTITY FULL without a unique key, a table without a key, TRUNCATE: the two
# databases' data compare equal (pg_dump --data-only, rows sorted). Exactly once across runs
# and SIGKILLs, the position in the target, two applies of one group at once, SIGTERM during
# a lock wait, refusals that apply nothing. Then SQLite -> log -> PostgreSQL and
# PostgreSQL -> log -> SQLite for the types the two have in common. EVLOG_PG_APPLY_SEED
# replays the kill moments; EVLOG_PG_APPLY_TRANSACTIONS (600) sizes the workload they cut.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/capture_lib.sh"

SEED=${EVLOG_PG_APPLY_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "seed $SEED (replay with EVLOG_PG_APPLY_SEED=$SEED)"
RANDOM=$SEED
TRANSACTIONS=${EVLOG_PG_APPLY_TRANSACTIONS:-600}

pg_start
pg_sql "CREATE DATABASE dst"
SRC=$PG_CONNINFO
DST="host=$PG_DIR port=$PG_PORT user=evlog dbname=dst"
DST_URI="postgresql://evlog@/dst?host=$PG_DIR&port=$PG_PORT"

# psql_in CONNINFO: runs the SQL on stdin, stopping at the first error.
psql_in() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -d "$1" >/dev/null || fail "psql on $1"; }
dst_sql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -d "$DST" -c "$1" || fail "psql (dst): $1"; }

# dump_data CONNINFO: pg_dump --data-only without evlog's position table, with the rows of
# each table's COPY block sorted, since the two databases need not store them in one order.
dump_data() {
  "$PG_BIN/pg_dump" --data-only --exclude-table=_evlog_apply -d "$1" | python3 -c '
import sys
block = None
for line in sys.stdin:
    if block is not None:
        if line == "\\.\n":
            sys.stdout.writelines(sorted(block)); sys.stdout.write(line); block = None
        else:
            block.append(line)
        continue
    # Comments, and the random key of the \restrict guard newer pg_dump versions write.
    if line.startswith(("--", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict")): continue
    sys.stdout.write(line)
    if line.startswith("COPY "): block = []
'
}
assert_same_data() {  # WHAT
  dump_data "$SRC" >"$WORK/src.dump"
  dump_data "$DST" >"$WORK/dst.dump"
  grep -q '^COPY public.typed' "$WORK/src.dump" || fail "$1: the dump has no data"
  cmp -s "$WORK/src.dump" "$WORK/dst.dump" || fail "$1: the databases differ: $(diff "$WORK/src.dump" "$WORK/dst.dump" | cut -c1-200 | head -20)"
}
apply_position() { dst_sql "SELECT next_offset FROM _evlog_apply WHERE grp = '$1'"; }

SCHEMA="
CREATE TABLE items (id int PRIMARY KEY, name text, qty int);
CREATE TABLE typed (id int PRIMARY KEY, i2 int2, i8 int8, b bool, f4 float4, f8 float8, n numeric, by bytea,
  tz timestamptz, ts timestamp, d date, tm time, j jsonb, js json, u uuid, ia int[], ta text[], vc varchar(10), t text);
CREATE TABLE pair (a int, b text, v text, PRIMARY KEY (a, b));
CREATE TABLE full_t (id int, v text);
ALTER TABLE full_t REPLICA IDENTITY FULL;
CREATE TABLE big (id int PRIMARY KEY, v int, doc text);
CREATE TABLE keyless (v int);
CREATE TABLE common (id int8 PRIMARY KEY, name text, f float8, data bytea, ok bool, n int8);"
echo "$SCHEMA" | psql_in "$SRC"
echo "$SCHEMA" | psql_in "$DST"
LOG=$WORK/log
expect_status 0 evlog capture postgres "$SRC" "$LOG" --slot s --create-slot \
  -t items -t typed -t pair -t full_t -t big -t keyless -t common

# big_text N: text of about 12 KB that does not compress, so the server TOASTs it.
big_text() { echo "(SELECT string_agg(md5($1::text || i::text), '') FROM generate_series(1, 400) i)"; }

# The first workload: every kind of change and value. Synchronous commits: a run without -f
# stops at the WAL the server had flushed when it started.
cat >"$WORK/w1.sql" <<SQL
SET synchronous_commit = on;
INSERT INTO items SELECT g, 'item ' || g, g FROM generate_series(1, 50) g;
INSERT INTO typed VALUES (1, -32768, 9223372036854775807, true, '-0', 'NaN', '123456789012345678901234567890.000001',
  '\\x00ff10', '2024-01-02 03:04:05.123456+02', '2024-02-29 23:59:59.5', '2024-02-29', '12:34:56', '{"a": [1, 2.50]}',
  '{"b" : 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,NULL,-3}', '{"x y","",NULL,"q\\"uote"}', 'café', E'line\\nnext');
INSERT INTO typed (id, f4, f8, n, ia) VALUES (2, '0.1', '-Infinity', 'NaN', '{}'), (3, 'Infinity', '1e300', '-0.5', '{{1,2},{3,4}}'),
  (4, '-1.5e-38', '4.9e-324', '0', NULL);
INSERT INTO typed (id) VALUES (5);
INSERT INTO pair VALUES (1, 'a', 'x'), (1, 'b', 'y'), (2, 'a', 'z');
INSERT INTO full_t VALUES (1, 'one'), (2, NULL), (3, 'three');
INSERT INTO big SELECT g, g, $(big_text g) FROM generate_series(1, 5) g;
INSERT INTO keyless VALUES (1), (1), (NULL);
INSERT INTO common VALUES (1, 'café', 0.5, '\\x00ff', true, 9007199254740993), (2, NULL, -2.25, NULL, false, NULL),
  (3, 'three', 0.1, '\\x', NULL, -7);
BEGIN; UPDATE items SET id = 1000 WHERE id = 1; UPDATE items SET qty = qty * 2 WHERE id <= 10; COMMIT;
BEGIN; DELETE FROM items WHERE id IN (20, 21); UPDATE pair SET b = 'c' WHERE a = 1 AND b = 'b'; COMMIT;
UPDATE full_t SET v = 'two' WHERE id = 2;
UPDATE full_t SET id = 30 WHERE id = 3;
DELETE FROM full_t WHERE id = 1;
UPDATE big SET v = v + 100;
UPDATE big SET id = 50 WHERE id = 5;
UPDATE big SET doc = $(big_text 99) WHERE id = 4;
UPDATE typed SET ta = '{changed}', j = '[]' WHERE id = 1;
BEGIN; INSERT INTO items VALUES (9999, 'rolled back', 0); ROLLBACK;
BEGIN; INSERT INTO pair VALUES (9, 'gone', 'g'); TRUNCATE pair; INSERT INTO pair VALUES (3, 'after', 'truncate'); COMMIT;
SQL
psql_in "$SRC" <"$WORK/w1.sql"
expect_status 0 evlog capture postgres "$SRC" "$LOG" --slot s
grep -q '"op":"t"' <(evlog tail "$LOG" --from beginning) || fail "the workload has no TRUNCATE event"
[[ $(evlog tail "$LOG" --from beginning | grep -c '"\$unchanged_toast":true') -ge 5 ]] || fail "no unchanged TOASTed columns"

# Apply: the target's data equals the source's, the position is the log's end, and the
# log's group copy follows it.
expect_status 0 evlog apply "$LOG" --to "postgres:$DST" -g g
assert_contains "$(cat "$WORK/stderr")" "group g is at offset $(event_count "$LOG")" "summary"
assert_same_data "first apply"
assert_eq "$(event_count "$LOG")" "$(apply_position g)" "position in the target"
assert_eq "$(event_count "$LOG")" "$(evlog groups "$LOG" | awk '$1 == "g" {print $2}')" "the log's copy of the position"
log_id=$(dst_sql "SELECT log_id FROM _evlog_apply WHERE grp = 'g'")
[[ $log_id =~ ^[0-9a-f]{32}$ ]] || fail "log id in the target: $log_id"
# Exactly once: nothing more to apply, whichever form of the target names it.
expect_status 0 evlog apply "$LOG" --to "$DST_URI" -g g
assert_contains "$(cat "$WORK/stderr")" "0 events applied" "second run"

# The same events re-batched one per batch (as an import or `append --json` may batch them),
# applied one transaction per event (--batch 1) into a second target: a key change's removal
# and its update are then in two batches, and a run must not end between them, or the
# removal would delete the row whose unchanged TOASTed column the update keeps (big, id 5).
pg_sql "CREATE DATABASE dst1"
DST1="host=$PG_DIR port=$PG_PORT user=evlog dbname=dst1"
echo "$SCHEMA" | psql_in "$DST1"
evlog tail "$LOG" --from beginning --json | evlog append --json "$WORK/one-per-batch" --sync always
expect_status 0 evlog apply "$WORK/one-per-batch" --to "postgres:$DST1" -g g --batch 1
dump_data "$DST1" >"$WORK/dst1.dump"
dump_data "$SRC" >"$WORK/src.dump"
cmp -s "$WORK/src.dump" "$WORK/dst1.dump" ||
  fail "re-batched log: the databases differ: $(diff "$WORK/src.dump" "$WORK/dst1.dump" | cut -c1-200 | head -10)"

# SIGKILL at random moments during long runs of small transactions: each run resumes at the
# position its last commit stored, so the data still matches, nothing applied twice (an
# insert applied twice would conflict or, in keyless, leave a row too many). Each kill waits
# until the target's position has passed a random point of the work still to do (not a random
# time, which a fast machine outran: every apply had finished before its kill), so it lands
# mid-run whatever the machine's speed.
{
  echo "SET synchronous_commit = on;"
  for ((i = 1; i <= TRANSACTIONS; i++)); do
    echo "BEGIN; INSERT INTO items VALUES ($((i + 2000)), 'k$i', $i); INSERT INTO keyless VALUES ($i);"
    echo "UPDATE items SET qty = qty + 1 WHERE id = $((i % 40 + 2)); UPDATE big SET v = v + 1 WHERE id = $((i % 4 + 1));"
    ((i % 50 == 0)) && echo "DELETE FROM items WHERE id = $((i + 1990));"
    echo "COMMIT;"
  done
} >"$WORK/w2.sql"
psql_in "$SRC" <"$WORK/w2.sql"
expect_status 0 evlog capture postgres "$SRC" "$LOG" --slot s
total=$(event_count "$LOG")
running() { [[ -e /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat") != Z ]]; }
kills=0
for ((k = 0; k < 8; k++)); do
  before=$(apply_position g)
  ((total - before > 30)) || break
  target=$((before + 1 + RANDOM % ((total - before) / 3)))
  "$EVLOG" apply "$LOG" --to "postgres:$DST" -g g --batch 7 2>>"$WORK/kill.err" &
  pid=$!
  deadline=$((SECONDS + 60))
  while running "$pid" && (($(apply_position g) < target)); do
    ((SECONDS < deadline)) || fail "apply did not reach offset $target in 60 s: $(tail -3 "$WORK/kill.err")"
    sleep 0.01
  done
  running "$pid" && kills=$((kills + 1))
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
((kills >= 4)) || fail "only $kills of 8 applies were still running when killed: the workload is too small"
expect_status 0 evlog apply "$LOG" --to "postgres:$DST" -g g
echo "apply killed $kills times"
assert_same_data "after $kills SIGKILLs"
assert_eq "$(event_count "$LOG")" "$(apply_position g)" "position after the kills"

# A lock wait is reported, and SIGTERM cancels it: a transaction holds the group's
# advisory lock (what a second apply of the group would hold), so apply waits for it.
psql_in "$SRC" <<<"SET synchronous_commit = on; INSERT INTO items VALUES (5000, 'held', 1);"
expect_status 0 evlog capture postgres "$SRC" "$LOG" --slot s
mkfifo "$WORK/holder.fifo"
"$PG_BIN/psql" -X -q -d "$DST" <"$WORK/holder.fifo" >/dev/null 2>&1 &
BACKGROUND_PIDS+=($!)
exec 3>"$WORK/holder.fifo"
echo "BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('evlog apply g', 0));" >&3
wait_until 30 "the holder takes the lock" bash -c "[[ \$('$PG_BIN/psql' -X -At -d '$DST' -c \"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted\") == 1 ]]"
"$EVLOG" apply "$LOG" --to "postgres:$DST" -g g 2>"$WORK/wait.err" &
waiter=$!
BACKGROUND_PIDS+=("$waiter")
wait_until 30 "apply reports its wait" grep -q "a statement has taken over a second; another transaction may hold a lock it needs" "$WORK/wait.err"
kill -TERM "$waiter"
status=0
wait "$waiter" || status=$?
assert_eq 143 "$status" "exit status after SIGTERM during the lock wait"
[[ $(dst_sql "SELECT count(*) FROM items WHERE id = 5000") == 0 ]] || fail "the cancelled run applied its change"

# Two applies of one group at once: both read the same position and wait for the lock; the
# first to get it applies, the second then finds the position moved and stops (exit 1).
"$EVLOG" apply "$LOG" --to "postgres:$DST" -g g 2>"$WORK/a.err" &
first=$!
"$EVLOG" apply "$LOG" --to "postgres:$DST" -g g 2>"$WORK/b.err" &
second=$!
BACKGROUND_PIDS+=("$first" "$second")
wait_until 30 "both applies wait for the lock" bash -c "[[ \$('$PG_BIN/psql' -X -At -d '$DST' -c \"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted\") == 2 ]]"
echo "COMMIT;" >&3
exec 3>&-
s1=0 s2=0
wait "$first" || s1=$?
wait "$second" || s2=$?
[[ "$s1 $s2" == "0 1" || "$s1 $s2" == "1 0" ]] || fail "two applies of one group: exit statuses $s1 and $s2: $(cat "$WORK/a.err" "$WORK/b.err")"
assert_contains "$(cat "$WORK/a.err" "$WORK/b.err")" "another apply of that group feeds the target; run one at a time" "the loser says why"
assert_same_data "after two applies at once"

# Refusals apply nothing of their run: a table the target lacks.
echo "CREATE TABLE only_src (id int PRIMARY KEY); ALTER PUBLICATION s ADD TABLE only_src;" | psql_in "$SRC"
psql_in "$SRC" <<<"SET synchronous_commit = on; BEGIN; INSERT INTO items VALUES (6000, 'before', 1); INSERT INTO only_src VALUES (1); COMMIT;"
expect_status 0 evlog capture postgres "$SRC" "$LOG" --slot s
before=$(apply_position g)
expect_status 1 evlog apply "$LOG" --to "postgres:$DST" -g g
assert_contains "$(cat "$WORK/stderr")" "table public.only_src does not exist in the target (create it" "missing table"
assert_contains "$(cat "$WORK/stderr")" "nothing of offsets $before..$((before + 1)) was applied" "missing table: the run rolled back"
assert_eq "$before" "$(apply_position g)" "position after a refusal"
assert_eq 0 "$(dst_sql "SELECT count(*) FROM items WHERE id = 6000")" "rows after a refusal"
dst_sql "CREATE TABLE only_src (id int PRIMARY KEY)" >/dev/null
expect_status 0 evlog apply "$LOG" --to "postgres:$DST" -g g
echo "ALTER PUBLICATION s DROP TABLE only_src; DROP TABLE only_src;" | psql_in "$SRC"
dst_sql "DROP TABLE only_src" >/dev/null
assert_same_data "after the missing table was created"

# ... and an update whose row is missing while it left a TOASTed column unchanged: the
# column's value cannot be made up.
dst_sql "DELETE FROM big WHERE id = 2" >/dev/null
psql_in "$SRC" <<<"SET synchronous_commit = on; UPDATE big SET v = -1 WHERE id = 2;"
expect_status 0 evlog capture postgres "$SRC" "$LOG" --slot s
expect_status 1 evlog apply "$LOG" --to "postgres:$DST" -g g
assert_contains "$(cat "$WORK/stderr")" "the update's row is not in table public.big, and the columns the update left unchanged (TOASTed, not sent) cannot be filled in" "unchanged TOAST without its row"
psql_in "$DST" <<<"INSERT INTO big SELECT 2, 0, $(big_text 2);"
expect_status 0 evlog apply "$LOG" --to "postgres:$DST" -g g
assert_same_data "after the missing row was restored"

# Another log's apply of the same group is refused.
evlog append "$WORK/other" <<<'{"op":"c","table":"items","key":{"id":1},"before":null,"after":{"id":1}}'
expect_status 1 evlog apply "$WORK/other" --to "postgres:$DST" -g g
assert_contains "$(cat "$WORK/stderr")" "was fed by group g from another log" "another log"

# A target that cannot be reached: the error names it, never the password.
expect_status 1 evlog apply "$LOG" --to "postgres:host=$PG_DIR port=$PG_PORT user=evlog dbname=nosuch password=hunter2secret" -g g
assert_contains "$(cat "$WORK/stderr")" "host $PG_DIR port $PG_PORT dbname nosuch" "unreachable target named"
[[ "$(cat "$WORK/stderr")" != *hunter2secret* ]] || fail "the password was printed"

# PostgreSQL -> log -> SQLite: the common subset (integers, float8, text, bytea, bool as
# 1/0), the table found without its schema, TOASTed columns kept; NaN is refused.
SQLITE=$WORK/copy.db
sqlite3 "$SQLITE" "CREATE TABLE common (id INTEGER PRIMARY KEY, name, f, data, ok, n);
                   CREATE TABLE big (id INTEGER PRIMARY KEY, v, doc)"
expect_status 0 evlog capture postgres "$SRC" "$WORK/common_log" --slot c --create-slot --snapshot -t common -t big
psql_in "$SRC" <<<"SET synchronous_commit = on; UPDATE big SET v = v + 1; UPDATE common SET f = 0.25 WHERE id = 3;
                   INSERT INTO common VALUES (4, E'tab\\there', 1234.5, '\\xdeadbeef', false, -9223372036854775808);"
expect_status 0 evlog capture postgres "$SRC" "$WORK/common_log" --slot c
expect_status 0 evlog apply "$WORK/common_log" --to "sqlite:$SQLITE" -g s
pg_common=$("$PG_BIN/psql" -X -At -d "$SRC" -c "SELECT id, name, f, upper(encode(data, 'hex')), ok::int, n FROM common ORDER BY id" \
  -c "SELECT id, v, md5(doc) FROM big ORDER BY id")
sqlite_common=$(sqlite3 "$SQLITE" "SELECT id, name, f, hex(data), ok, n FROM common ORDER BY id")
sqlite_big=$(sqlite3 "$SQLITE" "SELECT id, v, doc FROM big ORDER BY id" | python3 -c '
import hashlib, sys
for line in sys.stdin:
    i, v, doc = line.rstrip("\n").split("|")
    print(f"{i}|{v}|{hashlib.md5(doc.encode()).hexdigest()}")')
assert_eq "$pg_common" "$sqlite_common
$sqlite_big" "PostgreSQL -> SQLite"
assert_eq "integer|text|real|blob|integer|integer" "$(sqlite3 "$SQLITE" "SELECT typeof(id), typeof(name), typeof(f), typeof(data), typeof(ok), typeof(n) FROM common WHERE id = 1")" "storage classes"
expect_status 1 evlog apply "$LOG" --to "sqlite:$WORK/nan.db" -g n --create-tables
assert_contains "$(cat "$WORK/stderr")" "is NaN, which SQLite cannot store" "NaN into SQLite"

# SQLite -> log -> PostgreSQL: the same subset, from a SQLite application.
APP=$WORK/app.db
sqlite3 "$APP" "CREATE TABLE common (id INTEGER PRIMARY KEY, name TEXT, f REAL, data BLOB, ok INTEGER, n INTEGER)"
evlog capture sqlite "$APP" --install -t common
app "$APP" "INSERT INTO common VALUES (10, 'café', 0.5, x'00ff', 1, 9007199254740993), (11, NULL, -2.25, NULL, 0, NULL),
                                      (12, 'twelve', 12345.678, x'', NULL, -7);
            UPDATE common SET id = 13 WHERE id = 12; DELETE FROM common WHERE id = 11;
            INSERT INTO common VALUES (14, 'x', 1e300, x'0102', 1, 0)"
evlog capture sqlite "$APP" "$WORK/sqlite_log"
echo "CREATE DATABASE from_sqlite" | psql_in "$SRC"
FROM_SQLITE="host=$PG_DIR port=$PG_PORT user=evlog dbname=from_sqlite"
psql_in "$FROM_SQLITE" <<<"CREATE TABLE common (id int8 PRIMARY KEY, name text, f float8, data bytea, ok bool, n int8);"
expect_status 0 evlog apply "$WORK/sqlite_log" --to "postgres:$FROM_SQLITE" -g g
assert_eq "$(sqlite3 "$APP" "SELECT id, name, f, hex(data), ok, n FROM common ORDER BY id" | sed 's/1.0e+300/1e+300/')" \
  "$("$PG_BIN/psql" -X -At -d "$FROM_SQLITE" -c "SELECT id, name, f, upper(encode(data, 'hex')), ok::int, n FROM common ORDER BY id")" \
  "SQLite -> PostgreSQL"
echo "ok"
