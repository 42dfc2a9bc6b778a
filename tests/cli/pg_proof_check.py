#!/usr/bin/env python3
"""Checks the log of pg_capture_proof.sh against the server (format-spec/change-events.md §C7).

Usage: pg_proof_check.py LOG TAIL_JSON COMMITTED ROLLED_BACK CONNINFO
  TAIL_JSON:   `evlog tail LOG --from beginning --json`
  COMMITTED:   `seq xid` lines of proof_commits ordered by seq: the committed transactions in
               commit order (one session committed them all)
  ROLLED_BACK: xids of transactions the workload rolled back (only counted, see below)
  CONNINFO:    the source database, whose published tables are read as they are now

Passes when
- the log's transactions (runs of one evlog.xid) are exactly the committed ones, each once,
  in commit order, with increasing commit LSNs (so none rolled back);
- each transaction is exactly one batch of the log: the batches are read from the frame
  headers of the segments (format.md §4, §5.4), independently of the reader, and each event
  of one transaction carries the same log timestamp, later than the previous one's (§C7.3);
- replaying the events (c, u, d, t) from empty gives exactly the rows the tables hold now,
  each value in its §C7.2 form, every u and d finding its row, and the `before` of the
  REPLICA IDENTITY FULL table equal to the row as it was.
Prints what the log covered (ops, multi-frame batches, unchanged TOAST values)."""
import base64
import collections
import json
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_libpq import Connection  # noqa: E402
from pg_proof_workload import TABLES  # noqa: E402

FULL_IDENTITY = {"public.blobs"}
UNCHANGED_TOAST = {"$unchanged_toast": True}


def fail(message):
    sys.exit(f"pg_proof_check: {message}")


def lsn_value(text):
    high, low = text.split("/")
    return int(high, 16) << 32 | int(low, 16)


def batches_of(log_dir):
    """[first_offset, last_offset] of every batch, from the frame headers (format.md §5.2)."""
    batches, open_batch = [], None
    for name in sorted(n for n in os.listdir(log_dir) if n.endswith(".seg")):
        data = open(os.path.join(log_dir, name), "rb").read()
        pos = 64  # after the segment header (§4.1)
        while pos + 64 <= len(data):
            length, magic, _, kind, base, count, last_delta = struct.unpack_from("<IHBBQII", data, pos)
            if length == 0:
                break  # no frame here: the end of what was written
            if magic != 0xE7B1:
                fail(f"{name}: no frame magic at byte {pos}")
            pos += (length + 7) & ~7
            if kind >= 0x80:
                continue  # a skippable record carries no events
            first, last = base, base + last_delta
            if kind == 1:
                batches.append([first, last, 1])
            elif kind == 2:
                open_batch = [first, last, 1]
            elif kind in (3, 4):
                if open_batch is None:
                    fail(f"{name}: a MIDDLE or LAST frame outside a batch at byte {pos}")
                open_batch[1], open_batch[2] = last, open_batch[2] + 1
                if kind == 4:
                    batches.append(open_batch)
                    open_batch = None
    return batches


def canonical(value):
    """A hashable form that tells 1 from 1.0 from true and 0.0 from -0.0."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, dict):
        return ("object", tuple(sorted((k, canonical(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("list", tuple(canonical(v) for v in value))
    return (type(value).__name__, value)


TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)\+00$")


def json_form(text, type_oid):
    """The §C7.2 form of PostgreSQL's text output of a value, written here independently."""
    if text is None:
        return None
    if type_oid in (20, 21, 23, 26):
        return int(text)
    if type_oid == 16:
        return text == "t"
    if type_oid in (700, 701):
        if text in ("NaN", "Infinity", "-Infinity"):
            return {"$real": text}
        return float(text)
    if type_oid == 17:
        return {"$blob_base64": base64.b64encode(bytes.fromhex(text[2:])).decode()}
    if type_oid == 1184:
        m = TIMESTAMP.match(text)
        return f"{m.group(1)}T{m.group(2)}Z" if m else text
    return text


def source_rows(conninfo):
    """{table: {key: row}} as the source holds it now, values in their §C7.2 forms."""
    # The session settings the relay's connection uses (§C7.2), so that the texts agree.
    conn = Connection(conninfo + " options='-c TimeZone=UTC -c DateStyle=ISO -c extra_float_digits=3 "
                                 "-c bytea_output=hex'")
    state = {}
    for table, pk in TABLES.items():
        result = conn.run(f"SELECT * FROM {table}")[0]
        rows = {}
        for row in result.rows:
            values = {name: json_form(text, oid) for name, text, oid in zip(result.names, row, result.types)}
            rows[key_of(values, pk)] = canonical(values)
        state[table] = rows
    conn.close()
    return state


def key_of(row, pk):
    return tuple(canonical(row[c]) for c in pk)


class Replay:
    """The tables rebuilt from the log's events."""

    def __init__(self):
        self.rows = {table: {} for table in TABLES}
        self.counts = collections.Counter()

    def put(self, table, row, where):
        key = key_of(row, TABLES[table])
        if key in self.rows[table]:
            fail(f"{where}: inserts {table} key {key}, which exists")
        self.rows[table][key] = row

    def take(self, table, row, where):
        key = key_of(row, TABLES[table])
        if key not in self.rows[table]:
            fail(f"{where}: changes {table} key {key}, which does not exist")
        return self.rows[table].pop(key)

    def check_before(self, table, before, old, where):
        if table in FULL_IDENTITY and canonical(before) != canonical(old):
            fail(f"{where}: before {before} is not the row as it was, {old}")

    def apply(self, env, where):
        op, table = env["op"], env["table"]
        if table not in self.rows:
            fail(f"{where}: a change of {table}, which is not published")
        self.counts[op] += 1
        if op == "c":
            self.put(table, env["after"], where)
        elif op == "u":
            if env["before"] is not None:
                self.counts["u with before"] += 1
            old = self.take(table, env["before"] if env["before"] is not None else env["after"], where)
            if env["before"] is not None:
                self.check_before(table, env["before"], old, where)
            new = {}
            for column, value in env["after"].items():
                if value == UNCHANGED_TOAST:
                    self.counts["unchanged TOAST values"] += 1
                    value = old[column]
                new[column] = value
            self.put(table, new, where)
        elif op == "d":
            self.check_before(table, env["before"], self.take(table, env["before"], where), where)
        elif op == "t":
            self.rows[table] = {}
        else:
            fail(f"{where}: unexpected op {op}")

    def state(self):
        return {t: {k: canonical(row) for k, row in rows.items()} for t, rows in self.rows.items()}


def transactions_of(events, batches):
    """[(xid, lsn, [events])] in log order, after checking headers and batch boundaries."""
    batch_of = {}
    for i, (first, last, _) in enumerate(batches):
        for offset in range(first, last + 1):
            batch_of[offset] = i
    transactions = []
    for event in events:
        h, env = event["headers"], json.loads(event["payload"])
        xid, lsn = int(h["evlog.xid"]), h["evlog.lsn"]
        if env["source"]["xid"] != xid or env["source"]["lsn"] != lsn or h["evlog.op"] != env["op"]:
            fail(f"offset {event['offset']}: headers and envelope disagree")
        if event["offset"] not in batch_of:
            fail(f"offset {event['offset']}: in no batch of the segments")
        event["env"] = env
        if transactions and transactions[-1][0] == xid:
            if transactions[-1][1] != lsn:
                fail(f"xid {xid}: events with commit LSNs {transactions[-1][1]} and {lsn}")
            transactions[-1][2].append(event)
        else:
            transactions.append((xid, lsn, [event]))
    previous = None
    for xid, lsn, txn in transactions:
        offsets = [e["offset"] for e in txn]
        batch = batches[batch_of[offsets[0]]]
        if batch[0] != offsets[0] or batch[1] != offsets[-1] or offsets != list(range(offsets[0], offsets[-1] + 1)):
            fail(f"xid {xid}: {len(offsets)} events at offsets {offsets[0]}-{offsets[-1]}, the batch of its first "
                 f"holds offsets {batch[0]}-{batch[1]}: not exactly one batch")
        stamps = {e["timestamp"] for e in txn}
        if len(stamps) != 1:
            fail(f"xid {xid}: {len(stamps)} log timestamps in one transaction")
        if previous is not None:
            if not lsn_value(lsn) > lsn_value(previous[1]):
                fail(f"xid {xid}: commit LSN {lsn} not above the previous transaction's {previous[1]}")
            if not txn[0]["timestamp"] > previous[2]:
                fail(f"xid {xid}: log timestamp not after the previous transaction's")
        previous = (xid, lsn, txn[0]["timestamp"])
    return transactions


def main():
    log_dir, tail_json, committed_path, rolled_back_path, conninfo = sys.argv[1:6]
    events = [json.loads(line) for line in open(tail_json, encoding="utf-8") if line.strip()]
    batches = batches_of(log_dir)
    transactions = transactions_of(events, batches)

    # The server's xids are 64-bit (epoch and xid); the log carries the 32-bit xid.
    committed = [int(line.split()[1]) & 0xFFFFFFFF for line in open(committed_path) if line.strip()]
    logged = [xid for xid, _, _ in transactions]
    rolled_back = {int(x) & 0xFFFFFFFF for x in open(rolled_back_path).read().split()}
    if logged != committed:
        seen, doubled = set(), []
        for xid in logged:
            if xid in seen:
                doubled.append(xid)
            seen.add(xid)
        missing = [x for x in committed if x not in seen]
        extra = sorted(seen - set(committed))
        first = next((i for i, (a, b) in enumerate(zip(logged, committed)) if a != b), min(len(logged), len(committed)))
        fail(f"the log's transactions are not the committed ones in commit order: {len(logged)} logged, "
             f"{len(committed)} committed; doubled {doubled[:10]}, missing {missing[:10]} (of {len(missing)}), "
             f"not committed {extra[:10]}; first difference at transaction {first}")
    # So no rolled-back transaction is in the log. Their xids are only counted: after a crash
    # the server hands out again the xids no surviving WAL record names, such as those of
    # rolled-back transactions whose abort record was not yet written, so a later committed
    # transaction may carry one (the committed list, the server's own record, is what counts).
    reused = rolled_back & set(committed)

    replay = Replay()
    for xid, _, txn in transactions:
        for i, event in enumerate(txn):
            where = f"xid {xid} offset {event['offset']}"
            new_key = event["headers"].get("evlog.new_key")
            if new_key is not None:
                # The delete half of a key change (§C7.3): keyed by the old key, followed in
                # its transaction by the update it names, which moves the row itself (the
                # update's unchanged TOAST values need the old row). Applied as §C6 says.
                following = txn[i + 1] if i + 1 < len(txn) else None
                if event["env"]["op"] != "d" or following is None or following["key"] != new_key or \
                        following["env"]["op"] != "u":
                    fail(f"{where}: evlog.new_key {new_key} on a {event['env']['op']} not followed by its update")
                if json.loads(event["key"])[1:] == json.loads(new_key)[1:]:
                    fail(f"{where}: a key change to the same key {new_key}")
                replay.counts["key changes"] += 1
                continue
            replay.apply(event["env"], where)
    rebuilt, source = replay.state(), source_rows(conninfo)
    for table in TABLES:
        if rebuilt[table] != source[table]:
            a, b = rebuilt[table], source[table]
            only_log = [k for k in a if k not in b][:3]
            only_source = [k for k in b if k not in a][:3]
            differ = [k for k in a if k in b and a[k] != b[k]][:1]
            detail = f"; key {differ[0]}: log {a[differ[0]]} source {b[differ[0]]}" if differ else ""
            fail(f"{table}: the log rebuilds {len(a)} rows, the source holds {len(b)}; only in the log {only_log}, "
                 f"only in the source {only_source}{detail}")

    multi = sum(1 for _, _, frames in batches if frames > 1)
    rows = {t: len(r) for t, r in source.items()}
    print(f"transactions {len(transactions)} events {len(events)} batches {len(batches)} "
          f"(multi-frame {multi}), rolled back {len(rolled_back)} (xid reused after the crash: {len(reused)}); ops {dict(replay.counts)}; rows now {rows}")


if __name__ == "__main__":
    main()
