# Helpers for the capture tests: a SQLite application played by the sqlite3 CLI, and the
# log's change events decoded by Python into one comparable line each.
command -v sqlite3 >/dev/null || fail "sqlite3 (the CLI) is needed: apt-get install sqlite3"

app() { sqlite3 -bail -cmd ".timeout 10000" "$@"; }

# changes LOG: "outbox_id op table key before after" per event, values in the §C1.1 JSON
# as Python reads it (reals printed with repr and their sign, so bits are compared).
changes() {
  "$EVLOG" tail "$1" --json --from beginning | python3 -c '
import json, math, sys
def show(v):
    if isinstance(v, float): return "R" + repr(v) + ("-" if math.copysign(1, v) < 0 else "+")
    if isinstance(v, dict) and "$real" in v: return "R" + v["$real"]
    if isinstance(v, dict) and "$blob_base64" in v: return "B" + v["$blob_base64"]
    if isinstance(v, dict) and "$text_base64" in v: return "TB" + v["$text_base64"]
    if isinstance(v, str): return "T" + json.dumps(v)
    return json.dumps(v)
def row(r): return "null" if r is None else "{" + ",".join(k + "=" + show(v) for k, v in r.items()) + "}"
for line in sys.stdin:
    e = json.loads(line); p = json.loads(e["payload"]); h = e["headers"]
    assert h["evlog.op"] == p["op"] and h["evlog.table"] == p["table"], line
    assert p["source"]["source_id"] == h["evlog.source_id"], line
    assert p["source"].get("outbox_id") == (int(h["evlog.outbox_id"]) if "evlog.outbox_id" in h else None), line
    assert json.loads(e["key"]) == [p["table"]] + list(p["key"].values()), line
    rekey = " new_key=" + h["evlog.new_key"] if "evlog.new_key" in h else ""
    print(p["source"].get("outbox_id", "-"), p["op"], p["table"], row(p["key"]), row(p["before"]), row(p["after"]) + rekey)
'
}

# outbox_ids LOG: the outbox ids in the log, one per line, in log order.
outbox_ids() { "$EVLOG" tail "$1" --json --from beginning | grep -o '"evlog.outbox_id":"[0-9]*"' | tr -dc '0-9\n'; }

# outbox_rows DB: rows still waiting in the outbox.
outbox_rows() { app "$1" "SELECT count(*) FROM _evlog_outbox"; }
