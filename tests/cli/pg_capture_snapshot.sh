# `evlog capture postgres --create-slot --snapshot` (format-spec/change-events.md §C7.5): the
# rows of the publication's tables as of the new slot's consistent point, as `r` events,
# then the stream from that point; refused on a slot that already exists.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

pg_start
LOG=$WORK/log
pg_sql "CREATE TABLE snap (id int PRIMARY KEY, v text, f float8)"
pg_sql "CREATE TABLE keyless (n int)"
pg_sql "INSERT INTO snap SELECT g, 'v' || g, g / 2.0 FROM generate_series(1, 250) g"
pg_sql "INSERT INTO keyless VALUES (7), (NULL)"

expect_status 2 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s --snapshot
assert_contains "$(cat "$WORK/stderr")" "--snapshot needs --create-slot" "usage"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s --create-slot --snapshot -t snap -t keyless
assert_contains "$(cat "$WORK/stderr")" "snapshot: 252 rows" "snapshot rows"
assert_eq 252 "$(event_count "$LOG")" "events after the snapshot"
pg_sql "SET synchronous_commit = on; INSERT INTO snap VALUES (251, 'new', 0.5); DELETE FROM snap WHERE id = 1"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s
assert_contains "$(cat "$WORK/stderr")" "captured 1 transactions (2 events)" "stream after the snapshot (one psql -c, one transaction)"
evlog tail "$LOG" --from beginning --json >"$WORK/tail.json"
python3 - "$WORK/tail.json" <<'PY' || fail "snapshot events"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
payloads = [json.loads(e["payload"]) for e in events]
assert [p["op"] for p in payloads] == ["r"] * 252 + ["c", "d"], [p["op"] for p in payloads][-5:]
keyless = [p for p in payloads if p["table"] == "public.keyless"]
assert [p["after"] for p in keyless] == [{"n": 7}, {"n": None}] and keyless[0]["key"] == {}, keyless
snap = {p["key"]["id"]: p for p in payloads if p["table"] == "public.snap" and p["op"] == "r"}
assert sorted(snap) == list(range(1, 251)), len(snap)
assert snap[3]["after"] == {"id": 3, "v": "v3", "f": 1.5} and snap[3]["before"] is None, snap[3]
src = snap[3]["source"]
assert src["connector"] == "postgres" and src["snapshot"] is True and "xid" not in src, src
h = events[0]["headers"]
assert list(h) == ["evlog.op", "evlog.table", "evlog.source_id", "evlog.lsn"] and h["evlog.op"] == "r", h
# The stream continues after the snapshot's point: its LSNs are above it.
point = lambda t: int(t.split("/")[0], 16) << 32 | int(t.split("/")[1], 16)
assert point(payloads[-1]["source"]["lsn"]) > point(src["lsn"]), (payloads[-1]["source"], src)
PY
# A slot that exists exported its snapshot long ago: refused, nothing appended.
expect_status 1 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s --create-slot --snapshot
assert_contains "$(cat "$WORK/stderr")" "--snapshot needs a new slot" "existing slot"
assert_eq 254 "$(event_count "$LOG")" "events after the refusal"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s --drop-slot
echo "ok"
