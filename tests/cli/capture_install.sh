# capture sqlite --install / --uninstall (change-events.md §C2): one transaction, idempotent,
# safe identifiers, clear refusals; and a captured table's schema change stops the relay
# until --install regenerates the triggers.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/capture_lib.sh"
DB=$WORK/app.db LOG=$WORK/log
triggers() { app "$DB" "SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name" | tr '\n' ' '; }

# A missing database is an error, and is not created.
expect_status 1 evlog capture sqlite "$WORK/nope.db" --install -t t
assert_contains "$(cat "$WORK/stderr")" "$WORK/nope.db: no such database" "missing database"
[[ ! -e $WORK/nope.db ]] || fail "a missing database was created"
expect_status 1 evlog capture sqlite "$WORK/nope.db" "$LOG"
[[ ! -e $WORK/nope.db && ! -e $LOG ]] || fail "the relay created the database or the log"

app "$DB" "CREATE TABLE t (id INTEGER PRIMARY KEY, v);
  CREATE TABLE \"od\"\"d 'name\" (\"k e\"\"y\" TEXT, n, PRIMARY KEY (n, \"k e\"\"y\"));
  CREATE TABLE wr (k PRIMARY KEY, v) WITHOUT ROWID;
  CREATE VIRTUAL TABLE ft USING fts5(body);
  CREATE VIEW vw AS SELECT * FROM t;
  CREATE TABLE norowid (a, rowid);
  CREATE TABLE gen (id INTEGER PRIMARY KEY, a, twice AS (a * 2));"
schema_before=$(app "$DB" .schema)
objects() { app "$DB" "SELECT type, name FROM sqlite_schema WHERE name != 'sqlite_sequence' ORDER BY name"; }
objects_before=$(objects)

# Each refusal names the table and why; nothing of the transaction is left behind.
for case in "missing:no such table" "wr:WITHOUT ROWID" "ft:virtual table" "vw:is a view" "norowid:column named rowid" \
            "_evlog_outbox:internal table"; do
  expect_status 1 evlog capture sqlite "$DB" --install -t t -t "${case%%:*}"
  assert_contains "$(cat "$WORK/stderr")" "${case#*:}" "refusing ${case%%:*}"
  assert_contains "$(cat "$WORK/stderr")" "nothing was changed" "refusing ${case%%:*}"
  assert_eq "$schema_before" "$(app "$DB" .schema)" "the schema after refusing ${case%%:*}"
done

# Usage errors exit 2.
expect_status 2 evlog capture sqlite "$DB" --install
expect_status 2 evlog capture sqlite "$DB" --install -t t "$LOG"
expect_status 2 evlog capture sqlite "$DB"
expect_status 2 evlog capture sqlite "$DB" --install --uninstall -t t
expect_status 2 evlog capture

# Installing twice is harmless: the same triggers, one source_id, outbox rows kept.
evlog capture sqlite "$DB" --install -t t -t "od\"d 'name" -t GEN 2>/dev/null
app "$DB" "INSERT INTO t VALUES (1, 'a'); INSERT INTO \"od\"\"d 'name\" VALUES ('x', 2); INSERT INTO gen (a) VALUES (21)"
first=$(triggers) source_id=$(app "$DB" "SELECT value FROM _evlog_meta WHERE key = 'source_id'")
evlog capture sqlite "$DB" --install -t t -t "od\"d 'name" -t gen 2>/dev/null
assert_eq "$first" "$(triggers)" "triggers after a second install"
assert_eq 9 "$(app "$DB" "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'")" "three triggers per table"
assert_eq "$source_id" "$(app "$DB" "SELECT value FROM _evlog_meta WHERE key = 'source_id'")" "source_id kept"
assert_eq 3 "$(outbox_rows "$DB")" "outbox rows kept by a re-install"
evlog capture sqlite "$DB" "$LOG" 2>/dev/null
assert_eq "1 c t {id=1} null {id=1,v=T\"a\"}
2 c od\"d 'name {n=2,k e\"y=T\"x\"} null {k e\"y=T\"x\",n=2}
3 c gen {id=1} null {id=1,a=21}" "$(changes "$LOG")" "changes of oddly named tables and generated columns"

# A schema change stops the relay, naming table, columns and the fix; --install fixes it.
app "$DB" "ALTER TABLE t ADD COLUMN added; INSERT INTO t VALUES (2, 'b', 'new')"
expect_status 1 evlog capture sqlite "$DB" "$LOG"
message=$(cat "$WORK/stderr")
assert_contains "$message" "captured table t has changed" "schema change"
assert_contains "$message" "(new: added)" "schema change names the column"
assert_contains "$message" "evlog capture sqlite $DB --install -t t" "schema change says how to fix it"
assert_eq 1 "$(outbox_rows "$DB")" "nothing relayed after a schema change"
evlog capture sqlite "$DB" --install -t t 2>/dev/null
app "$DB" "INSERT INTO t VALUES (3, 'c', 'captured')"
evlog capture sqlite "$DB" "$LOG" 2>/dev/null
assert_eq "4 c t {id=2} null {id=2,v=T\"b\"}
5 c t {id=3} null {id=3,v=T\"c\",added=T\"captured\"}" "$(changes "$LOG" | tail -2)" "old rows keep their columns, new ones carry the new column"

# Uninstall: one table; its pending changes keep it listed; all of it once relayed.
app "$DB" "INSERT INTO gen (a) VALUES (1)"
evlog capture sqlite "$DB" --uninstall -t gen 2>"$WORK/stderr"
assert_contains "$(cat "$WORK/stderr")" "1 of its changes still wait" "uninstall with pending changes"
app "$DB" "INSERT INTO gen (a) VALUES (2)"
assert_eq 1 "$(outbox_rows "$DB")" "no change recorded after uninstalling"
expect_status 1 evlog capture sqlite "$DB" --uninstall -t nope
assert_contains "$(cat "$WORK/stderr")" "table nope is not captured" "uninstalling an uncaptured table"
evlog capture sqlite "$DB" "$LOG" 2>/dev/null
evlog capture sqlite "$DB" --uninstall 2>"$WORK/stderr"
assert_contains "$(cat "$WORK/stderr")" "capture removed from $DB" "uninstall all"
assert_eq "$objects_before" "$(objects)" "what is left after uninstalling"
expect_status 0 evlog capture sqlite "$DB" --uninstall
assert_contains "$(cat "$WORK/stderr")" "not installed" "uninstall twice"
expect_status 1 evlog capture sqlite "$DB" "$LOG"
assert_contains "$(cat "$WORK/stderr")" "capture is not installed" "relay without capture"

# A column dropped while changes of the table wait in the outbox (uninstall, drop, add one,
# re-install): the waiting changes would be read under the new column names (a review saw
# a password relayed as `note`), so the re-install waits until they are relayed.
D2=$WORK/drop.db L2=$WORK/drop-log
app "$D2" "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, password TEXT, note TEXT);" >/dev/null
evlog capture sqlite "$D2" --install -t t 2>/dev/null
app "$D2" "INSERT INTO t VALUES (1, 'a@x', 'hunter2', 'n1');"
evlog capture sqlite "$D2" --uninstall -t t 2>/dev/null
app "$D2" "ALTER TABLE t DROP COLUMN password; ALTER TABLE t ADD COLUMN flag TEXT;"
expect_status 1 evlog capture sqlite "$D2" --install -t t
assert_contains "$(cat "$WORK/stderr")" "1 changes of table t wait in the outbox, recorded with the columns [\"id\",\"email\",\"password\",\"note\"], and its columns are now [\"id\",\"email\",\"note\",\"flag\"]: relay them first" "re-install over waiting rows of other columns"
evlog capture sqlite "$D2" "$L2" 2>/dev/null
assert_eq '{"id":1,"email":"a@x","password":"hunter2","note":"n1"}' \
  "$(evlog tail "$L2" --from beginning --format '%s\n' | python3 -c 'import json, sys; print(json.dumps(json.loads(sys.stdin.read())["after"], separators=(",", ":")))')" \
  "the waiting change keeps the columns of its time"
evlog capture sqlite "$D2" --install -t t 2>/dev/null || fail "re-install once relayed"
# While the triggers exist, columns keep their positions: ADD COLUMN and RENAME COLUMN
# re-install over waiting rows.
app "$D2" "INSERT INTO t VALUES (2, 'b@x', 'n2', 'f2'); ALTER TABLE t RENAME COLUMN note TO remark;"
evlog capture sqlite "$D2" --install -t t 2>/dev/null || fail "re-install after RENAME COLUMN"

# A renamed table keeps our triggers (SQLite moves them): installing it under its new name
# replaces them, rather than recording every change twice.
app "$D2" "ALTER TABLE t RENAME TO t2;"
evlog capture sqlite "$D2" --install -t t2 2>/dev/null
assert_eq "_evlog_t2_delete _evlog_t2_insert _evlog_t2_update" \
  "$(app "$D2" "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name" | tr '\n' ' ' | sed 's/ $//')" \
  "the triggers of a renamed table"
before=$(outbox_rows "$D2")
app "$D2" "INSERT INTO t2 VALUES (3, 'c@x', 'n3', 'f3');"
assert_eq $((before + 1)) "$(outbox_rows "$D2")" "one outbox row per change of the renamed table"
# A UTF-16 database is refused in words (the triggers' text would reach the log as UTF-16
# bytes); the message was itself UTF-16 ("U T F - 1 6 l e") and named the table oddly.
U16=$WORK/utf16.db
app "$U16" "PRAGMA encoding = 'UTF-16le'; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
expect_status 1 evlog capture sqlite "$U16" --install -t t
assert_contains "$(cat "$WORK/stderr")" "the database's text encoding is UTF-16le; capture supports UTF-8 databases only" "UTF-16 refused"
echo PASS
