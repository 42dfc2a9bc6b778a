# `evlog capture postgres` (format-spec/change-events.md §C7) against a real server: slot and
# publication creation, a workload of a few hundred transactions (multi-row, key-changing
# update, delete, truncate, rollbacks, every mapped type), one batch per committed
# transaction in commit order, exact values, exactly once across runs, one relay per slot,
# and --drop-slot.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
CHECK="python3 $(dirname "$0")/pg_capture_check.py"

pg_start
LOG=$WORK/log
pg_sql "CREATE TABLE items (id int PRIMARY KEY, name text, qty int)"
pg_sql "CREATE TABLE typed (id int PRIMARY KEY, i2 int2, i8 int8, o oid, b bool, f4 float4, f8 float8,
        n numeric, by bytea, tz timestamptz, ts timestamp, d date, tm time, j jsonb, u uuid, vc varchar(10), t text)"
pg_sql "CREATE TABLE full_t (id int PRIMARY KEY, v text)"
pg_sql "ALTER TABLE full_t REPLICA IDENTITY FULL"
pg_sql "CREATE TABLE unpublished (id int)"
# The committed transactions that changed a published table record their xid here.
pg_sql "CREATE TABLE xids (xid bigint)"

# --create-slot -t: the publication (named after the slot) and the slot, then a run that
# finds nothing to capture.
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s1 --create-slot -t items -t typed -t public.full_t
assert_contains "$(cat "$WORK/stderr")" "created publication s1" "publication created"
assert_contains "$(cat "$WORK/stderr")" "created slot s1" "slot created"
assert_contains "$(cat "$WORK/stderr")" "captured 0 transactions (0 events)" "nothing yet"
assert_eq "s1|pgoutput|logical" "$(pg_sql "SELECT slot_name, plugin, slot_type FROM pg_replication_slots")" "slot"
assert_eq "full_t items typed" "$(pg_sql "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = 's1'")" "publication tables"
# A second slot on the same publication, behind the first: it will send again what s1 sent.
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$WORK/other_log" --slot s2 --publication s1 --create-slot
# Idempotent: a second --create-slot creates nothing.
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s1 --create-slot -t items
[[ "$(cat "$WORK/stderr")" != *created* ]] || fail "second --create-slot created something: $(cat "$WORK/stderr")"

# The workload: 300 transactions, every tenth rolled back. The test server commits
# asynchronously (pg_lib.sh); a run without -f stops at the WAL the server has flushed, so
# the workload commits synchronously.
workload() {  # FIRST LAST
  local i
  echo "SET synchronous_commit = on;"
  for ((i = $1; i <= $2; i++)); do
    if ((i % 10 == 0)); then
      echo "BEGIN; INSERT INTO items VALUES ($i, 'rolled back', 0); INSERT INTO xids SELECT txid_current(); ROLLBACK;"
    elif ((i % 7 == 0)); then
      echo "BEGIN; UPDATE items SET qty = qty + 1 WHERE id = 3; INSERT INTO unpublished VALUES ($i);"
      echo "INSERT INTO xids SELECT txid_current(); COMMIT;"
    else
      echo "BEGIN; INSERT INTO items VALUES ($i, 'n$i', $i), ($((i + 100000)), 'm$i', 1);"
      echo "INSERT INTO xids SELECT txid_current(); COMMIT;"
    fi
  done
}
{
  workload 1 300
  # A key-changing update, a delete, a TRUNCATE of two tables, REPLICA IDENTITY FULL.
  echo "BEGIN; UPDATE items SET id = 500000 WHERE id = 1; INSERT INTO xids SELECT txid_current(); COMMIT;"
  echo "BEGIN; DELETE FROM items WHERE id = 2; INSERT INTO xids SELECT txid_current(); COMMIT;"
  echo "BEGIN; INSERT INTO full_t VALUES (1, 'a'); UPDATE full_t SET v = 'b' WHERE id = 1; INSERT INTO xids SELECT txid_current(); COMMIT;"
  echo "BEGIN; INSERT INTO typed VALUES (1, -32768, 9223372036854775807, 4294967295, true, '-0', 'NaN',
        '123456789012345678901234567890.000001', '\\x00ff', '2024-01-02 03:04:05.123456+02',
        '2024-02-29 23:59:59.5', '2024-02-29', '12:34:56', '{\"a\": [1, 2]}',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'café', E'line\\nnext');
        INSERT INTO typed (id, f4, f8, n) VALUES (2, '0.1', '-Infinity', 'NaN'), (3, 'Infinity', '1e300', '-0.5');
        INSERT INTO xids SELECT txid_current(); COMMIT;"
  echo "BEGIN; TRUNCATE full_t, typed; INSERT INTO xids SELECT txid_current(); COMMIT;"
} >"$WORK/workload.sql"
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$PG_CONNINFO" -f "$WORK/workload.sql" >/dev/null || fail "workload"
assert_eq 275 "$(pg_sql "SELECT count(*) FROM xids")" "committed transactions"

# Password never printed: a conninfo with one gives host, port and dbname only.
expect_status 0 evlog capture postgres "$PG_CONNINFO password=hunter2secret" "$LOG" --slot s1
stderr=$(cat "$WORK/stderr")
[[ "$stderr" != *hunter2secret* ]] || fail "the password was printed: $stderr"
assert_contains "$stderr" "captured 275 transactions" "first run"
assert_contains "$stderr" "from host $PG_DIR port $PG_PORT dbname postgres slot s1" "source named"
evlog tail "$LOG" --from beginning --json >"$WORK/tail1.json"
pg_sql "SELECT xid FROM xids" >"$WORK/xids1"
$CHECK "$WORK/tail1.json" "$WORK/xids1" >"$WORK/check" || fail "log check (first run)"
# 270 workload transactions: 232 of two rows, 38 updates; 5 more of 2+1+3+3+2 events (a key
# change is two: the delete of the old key, then the update; under REPLICA IDENTITY FULL
# every column is in the key, so full_t's update of v is one too).
assert_eq "transactions 275 events 513" "$(cat "$WORK/check")" "transactions and events"

# Exact envelopes.
python3 - "$WORK/tail1.json" <<'PY' || fail "exact values"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
payloads = [e["payload"] for e in events]
def find(pred):
    return [json.loads(p) for p in payloads if pred(json.loads(p))]
u = find(lambda p: p["op"] == "u" and p["key"] == {"id": 500000})
assert len(u) == 1 and u[0]["before"] == {"id": 1} and u[0]["after"] == {"id": 500000, "name": "n1", "qty": 1}, u
d = find(lambda p: p["op"] == "d")
assert [x["key"] for x in d] == [{"id": 1}, {"id": 2}, {"id": 1, "v": "a"}], d
assert d[0]["before"] == {"id": 1} and d[1]["before"] == {"id": 2}, d
# The delete half of a key change comes just before its update, keyed by the old key and
# naming the new one; a plain delete names none.
rekeys = [(i, e) for i, e in enumerate(events) if "evlog.new_key" in e["headers"]]
assert [e["key"] for _, e in rekeys] == ['["public.items",1]', '["public.full_t",1,"a"]'], rekeys
assert [e["headers"]["evlog.new_key"] for _, e in rekeys] == ['["public.items",500000]', '["public.full_t",1,"b"]'], rekeys
assert all(events[i + 1]["key"] == e["headers"]["evlog.new_key"] and json.loads(events[i + 1]["payload"])["op"] == "u"
           for i, e in rekeys), rekeys
full = find(lambda p: p["table"] == "public.full_t" and p["op"] == "u")[0]
assert full["before"] == {"id": 1, "v": "a"} and full["after"] == {"id": 1, "v": "b"}, full
t = find(lambda p: p["op"] == "t")
assert sorted(x["table"] for x in t) == ["public.full_t", "public.typed"], t
assert all(x["key"] is None and x["before"] is None and x["after"] is None for x in t), t
# The raw JSON text of the typed row, not its parse: the forms themselves are the contract.
raw = [p for p in payloads if '"table":"public.typed","key":{"id":1}' in p][0]
after = raw[raw.index('"after":') + 8: raw.index(',"ts_ms"')]
want = ('{"id":1,"i2":-32768,"i8":9223372036854775807,"o":4294967295,"b":true,"f4":-0.0,"f8":{"$real":"NaN"},'
        '"n":"123456789012345678901234567890.000001","by":{"$blob_base64":"AP8="},"tz":"2024-01-02T01:04:05.123456Z",'
        '"ts":"2024-02-29 23:59:59.5","d":"2024-02-29","tm":"12:34:56","j":"{\\"a\\": [1, 2]}",'
        '"u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","vc":"caf\u00e9","t":"line\\nnext"}')
assert after == want, f"\n{after}\n{want}"
r2 = [json.loads(p) for p in payloads if '"table":"public.typed","key":{"id":2}' in p][0]["after"]
r3 = [p for p in payloads if '"table":"public.typed","key":{"id":3}' in p][0]
assert r2["f4"] == 0.1 and r2["f8"] == {"$real": "-Infinity"} and r2["n"] == "NaN", r2
assert '"f4":{"$real":"Infinity"},"f8":1e+300,"n":"-0.5"' in r3, r3
s = json.loads(payloads[0])["source"]
assert list(s) == ["connector", "source_id", "xid", "lsn", "commit_time"], s
assert s["source_id"].endswith("/postgres") and s["commit_time"].endswith("Z"), s
h = events[0]["headers"]
names = list(h) if isinstance(h, dict) else [x[0] if isinstance(x, list) else x["name"] for x in h]
assert names == ["evlog.op", "evlog.table", "evlog.source_id", "evlog.xid", "evlog.lsn"], names
PY

# Slot s2 sends every transaction again into the same log: the log already holds them all
# (§C7.4's resume position), so each is skipped, not appended twice.
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s2 --publication s1
assert_contains "$(cat "$WORK/stderr")" "captured 0 transactions (0 events), skipped 275 already in the log" "s2 into the same log"
assert_eq 513 "$(event_count "$LOG")" "events after s2"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s2 --drop-slot

# Again: nothing new (exactly once).
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s1
assert_contains "$(cat "$WORK/stderr")" "captured 0 transactions (0 events)" "second run"
assert_eq 513 "$(event_count "$LOG")" "events after the second run"

# More transactions: only those are appended.
workload 301 330 >"$WORK/workload2.sql"
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$PG_CONNINFO" -f "$WORK/workload2.sql" >/dev/null || fail "workload 2"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s1
assert_contains "$(cat "$WORK/stderr")" "captured 27 transactions" "third run"
evlog tail "$LOG" --from beginning --json >"$WORK/tail2.json"
pg_sql "SELECT xid FROM xids" >"$WORK/xids2"
$CHECK "$WORK/tail2.json" "$WORK/xids2" >"$WORK/check" || fail "log check (third run)"

# One relay per slot: while one follows, a second is refused, naming the reason.
"$EVLOG" capture postgres "$PG_CONNINFO" "$LOG" --slot s1 -f 2>"$WORK/follow.err" &
follower=$!
BACKGROUND_PIDS+=("$follower")
wait_until 30 "the follower streams" bash -c "[[ \$('$PG_BIN/psql' -X -At -d '$PG_CONNINFO' -c \"SELECT active FROM pg_replication_slots WHERE slot_name = 's1'\") == t ]]"
status=0
evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s1 2>"$WORK/stderr" || status=$?
[[ $status != 0 ]] || fail "a second relay on an active slot succeeded"
assert_contains "$(cat "$WORK/stderr")" "another relay is streaming from slot s1" "second relay refused"
# The follower captures a commit, then SIGTERM ends it with exit 0 after its batch.
pg_sql "BEGIN; INSERT INTO items VALUES (900000, 'followed', 1); INSERT INTO xids SELECT txid_current(); COMMIT"
wait_until 30 "the follower captures the commit" bash -c "'$EVLOG' tail '$LOG' --from beginning | grep -q followed"
kill -TERM "$follower"
wait "$follower" || fail "follower exit status $? after SIGTERM: $(cat "$WORK/follow.err")"
assert_contains "$(cat "$WORK/follow.err")" "captured 1 transactions" "follower summary"
# Its flush report reached the server: the slot confirmed past that commit.
last_lsn=$(evlog tail "$LOG" --lines 1 --format '%h' | tr '\t\n' '  ' | grep -o 'evlog.lsn=[0-9A-F/]*' | cut -d= -f2)
[[ -n "$last_lsn" ]] || fail "no evlog.lsn on the last event"
assert_eq t "$(pg_sql "SELECT confirmed_flush_lsn > '$last_lsn' FROM pg_replication_slots WHERE slot_name = 's1'")" "slot confirmed past the last commit"

# A transaction larger than one batch of the log (a 64 KiB segment) is refused whole, naming
# its xid and the remedy; the slot keeps it, and a log with room then takes it as one batch.
evlog append "$WORK/small" --segment-bytes 64KiB --max-event-bytes 4KiB </dev/null
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$WORK/small" --slot big --publication s1 --create-slot
big_xid=$(pg_sql "SET synchronous_commit = on; BEGIN; INSERT INTO items SELECT g, repeat('x', 100), g FROM generate_series(2000001, 2001000) g;
                  SELECT txid_current(); COMMIT")
expect_status 1 evlog capture postgres "$PG_CONNINFO" "$WORK/small" --slot big --publication s1
assert_contains "$(cat "$WORK/stderr")" "transaction $big_xid (commit LSN" "oversized transaction named"
assert_contains "$(cat "$WORK/stderr")" "Nothing of it was appended" "oversized: nothing appended"
assert_contains "$(cat "$WORK/stderr")" "--segment-bytes" "oversized: remedy"
assert_eq 0 "$(event_count "$WORK/small")" "events in the small log"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$WORK/roomy" --slot big --publication s1
assert_contains "$(cat "$WORK/stderr")" "captured 1 transactions (1000 events)" "the refused transaction, into a log with room"
evlog tail "$WORK/roomy" --from beginning --json >"$WORK/tail_big.json"
echo "$big_xid" >"$WORK/xid_big"
$CHECK "$WORK/tail_big.json" "$WORK/xid_big" >/dev/null || fail "the large transaction as one batch"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot big --drop-slot

# A missing slot: a clear error.
expect_status 1 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot nosuch
assert_contains "$(cat "$WORK/stderr")" "create it with --create-slot" "missing slot"

# --drop-slot removes the slot.
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s1 --drop-slot
assert_eq 0 "$(pg_sql "SELECT count(*) FROM pg_replication_slots")" "slots after --drop-slot"
echo "ok"
