#!/usr/bin/env python3
"""Checks a log fed by `evlog capture postgres` against the transactions a workload committed
(format-spec/change-events.md §C7.4): every committed transaction exactly once, as one batch,
in commit-LSN order.

Usage: pg_capture_check.py TAIL_JSON COMMITTED_XIDS
  TAIL_JSON: the output of `evlog tail LOG --from beginning --json`
  COMMITTED_XIDS: one xid per line, each a transaction that changed a published table

One batch per transaction is checked through the log's timestamps: Log::Append gives every
event of one append the same timestamp and a later append a later one (ns), so a transaction
whose events share one timestamp that no other transaction has was one append. Prints
"transactions N events M" on success."""
import json
import sys


def headers_of(event):
    h = event["headers"]
    if isinstance(h, dict):
        return h
    return {item[0] if isinstance(item, list) else item["name"]: item[1] if isinstance(item, list) else item["value"]
            for item in h}


def lsn_value(text):
    high, low = text.split("/")
    return int(high, 16) << 32 | int(low, 16)


def main():
    events = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    committed = [int(x) for x in open(sys.argv[2]).read().split()]
    runs = []  # [xid, lsn, timestamps, count]
    for event in events:
        h = headers_of(event)
        payload = json.loads(event["payload"])
        xid, lsn = int(h["evlog.xid"]), lsn_value(h["evlog.lsn"])
        assert payload["source"]["xid"] == xid and lsn_value(payload["source"]["lsn"]) == lsn, event
        assert h["evlog.op"] == payload["op"] and h["evlog.table"] == payload["table"], event
        if runs and runs[-1][0] == xid:
            runs[-1][2].add(event["timestamp"])
            runs[-1][3] += 1
        else:
            runs.append([xid, lsn, {event["timestamp"]}, 1])
    seen = set()
    for i, (xid, lsn, stamps, _) in enumerate(runs):
        if xid in seen:
            sys.exit(f"xid {xid} appears twice or not contiguously (run {i})")
        seen.add(xid)
        if len(stamps) != 1:
            sys.exit(f"xid {xid}: events with {len(stamps)} timestamps: more than one append")
        if i > 0 and not lsn > runs[i - 1][1]:
            sys.exit(f"xid {xid}: commit LSN {lsn:x} not above the previous transaction's {runs[i - 1][1]:x}")
        if i > 0 and not min(stamps) > max(runs[i - 1][2]):
            sys.exit(f"xid {xid} shares a timestamp with the previous transaction: one append for two?")
    expected = set(committed)
    if len(expected) != len(committed):
        sys.exit("the committed xid list holds duplicates")
    missing, extra = expected - seen, seen - expected
    if missing or extra:
        sys.exit(f"missing xids {sorted(missing)[:20]} (of {len(missing)}), unexpected {sorted(extra)[:20]} (of {len(extra)})")
    print(f"transactions {len(runs)} events {len(events)}")


main()
