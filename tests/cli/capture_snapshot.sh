# capture sqlite --snapshot (change-events.md §C5.3): existing rows as `r` events, seamed to
# the stream while the application keeps writing: rebuilding the table from the snapshot and
# the changes after it gives exactly the table, and every change is in the log exactly once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/capture_lib.sh"
DB=$WORK/app.db LOG=$WORK/log

app "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v, z);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
  INSERT INTO t SELECT i, 'before ' || i, NULL FROM n" >/dev/null
evlog capture sqlite "$DB" --install -t t 2>/dev/null
app "$DB" "UPDATE t SET v = 'changed before the snapshot' WHERE id <= 5; DELETE FROM t WHERE id = 6"

# The application writes while the snapshot runs: 900 small transactions.
{ echo "PRAGMA synchronous = NORMAL;"; for ((i = 1; i <= 300; i++)); do
  echo "INSERT INTO t VALUES ($((100000 + i)), 'during', $i); UPDATE t SET v = 'updated $i' WHERE id = $((i * 40));"
  echo "DELETE FROM t WHERE id = $((i * 40 + 1));"
done; } | app "$DB" &
writer=$!
BACKGROUND_PIDS+=("$writer")
evlog capture sqlite "$DB" "$LOG" --snapshot 2>"$WORK/stderr"
assert_contains "$(cat "$WORK/stderr")" "snapshot rows" "summary"
wait "$writer"
evlog capture sqlite "$DB" "$LOG" 2>/dev/null

"$EVLOG" tail "$LOG" --json --from beginning | python3 -c '
import json, sqlite3, sys
events = [json.loads(json.loads(line)["payload"]) for line in sys.stdin]
ids = [e["source"]["outbox_id"] for e in events if e["op"] != "r"]
assert ids == list(range(1, len(ids) + 1)), "outbox ids not contiguous and in order"
first_r = next(i for i, e in enumerate(events) if e["op"] == "r")
last_r = max(i for i, e in enumerate(events) if e["op"] == "r")
assert all(e["op"] == "r" for e in events[first_r:last_r + 1]), "changes inside the snapshot"
state = {}
for e in events[first_r:]:
    key = json.dumps(e["key"])
    if e["op"] == "d": state.pop(key, None)
    else: state[key] = e["after"]
db = sqlite3.connect(sys.argv[1])
table = {json.dumps({"id": r[0]}): {"id": r[0], "v": r[1], "z": r[2]} for r in db.execute("SELECT id, v, z FROM t")}
assert state == table, "snapshot + changes != table: %d vs %d rows" % (len(state), len(table))
print("snapshot rows:", last_r - first_r + 1, "changes before it:", first_r, "after it:", len(events) - last_r - 1)
' "$DB"
assert_eq 0 "$(outbox_rows "$DB")" "outbox after the snapshot and the stream"

# A snapshot reads stored values as they are, -0.0 included.
app "$DB" "DELETE FROM t; INSERT INTO t VALUES (1, -0.0, X'00')"
rm -rf "$LOG"
evlog capture sqlite "$DB" "$LOG" --snapshot 2>/dev/null
assert_eq "- r t {id=1} null {id=1,v=R-0.0-,z=BAA==}" "$(changes "$LOG" | grep ' r ')" "snapshot of -0.0"
echo PASS
