#!/usr/bin/env python3
"""The workload of pg_capture_proof.sh: one session commits TRANSACTIONS seeded random
transactions to three published tables, every tenth rolled back, and survives server restarts.

Usage: pg_proof_workload.py schema CONNINFO
       pg_proof_workload.py run CONNINFO TRANSACTIONS SEED RESTARTS KILLS OUTDIR

Each transaction is numbered (its seq) and sent as one query string. A committed one writes
(seq, txid_current()) into proof_commits, a table no publication holds, so the server itself
records which transactions committed: one whose COMMIT was in flight when the server went
away is looked up there after reconnecting (never guessed) and, if absent, sent again. One
session commits them all, so commit order is seq order. Each transaction inserts at least
one row of a published table, so each committed one must appear in the log.

The test restarts the server RESTARTS times, the k-th once `progress` reaches
TRANSACTIONS * k / (RESTARTS + 1). Past that point the workload slows down until it has lost
its connection k times, so that it cannot finish before a restart it is meant to live through.
Likewise it keeps pace with the relay's KILLS kills, which the test counts in OUTDIR/kills:
it slows down while it is more than TRANSACTIONS / KILLS transactions ahead of them, so that
the kills are spread over its commits.

OUTDIR receives `progress` (the number of transactions settled, for the test's restart
schedule) and `rolled_back` (the xids of the rolled-back ones, which must not appear).

The model of existing keys only steers the workload (which rows to update or delete); the
checker compares the log against what the server holds, not against the model."""
import datetime
import json
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_libpq import Connection, ConnectionLost  # noqa: E402

# The published tables and their primary keys, for the checker.
TABLES = {"public.accounts": ["id"], "public.blobs": ["id"], "public.pairs": ["a", "b"]}

SCHEMA = """
CREATE TABLE accounts (id int PRIMARY KEY, big bigint, amount numeric, ratio float8, active bool,
                       name text, opened timestamptz, scores int[]);
-- REPLICA IDENTITY FULL: deletes and updates send the whole old row. EXTERNAL storage: a
-- large value lives in the TOAST table, so an update that leaves it alone does not send it.
CREATE TABLE blobs (id bigint PRIMARY KEY, data bytea, doc jsonb, tags text[], note text);
ALTER TABLE blobs REPLICA IDENTITY FULL;
ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TABLE pairs (a int, b text, amount numeric, at timestamptz, PRIMARY KEY (a, b));
CREATE TABLE proof_commits (seq int PRIMARY KEY, xid bigint NOT NULL);
"""

ROLLBACK_EVERY = 10
RECONNECT_SECONDS = 180


def quote(text):
    return "'" + text.replace("'", "''") + "'"


class Values:
    """Random SQL literals of each column type, NULL now and then."""

    PIECES = ["a", "Z", "0", " ", "'", '"', "\\", "\n", "\t", ",", "{", "}", "é", "ß", "日本語", "😀",
              "e\u0301", "שלום", "\u200d", "\ufffd", "\u2028", "NULL", "$$", "--"]

    def __init__(self, rng):
        self.rng = rng

    def null_or(self, literal):
        return "NULL" if self.rng.random() < 0.08 else literal

    def text(self, max_pieces=6):
        return "".join(self.rng.choice(self.PIECES) for _ in range(self.rng.randint(0, max_pieces)))

    def int4(self):
        return str(self.rng.choice([0, -1, 2**31 - 1, -2**31, self.rng.randint(-2**31, 2**31 - 1)]))

    def int8(self):
        return self.null_or(str(self.rng.choice([2**63 - 1, -2**63, 2**53 + 1, self.rng.randint(-2**63, 2**63 - 1)])))

    def numeric(self):
        r = self.rng
        special = ["'NaN'", "'Infinity'", "'-Infinity'", "'0'", "'-0.000'", "'1e-30'"]
        if r.random() < 0.1:
            return self.null_or(r.choice(special) + "::numeric")
        digits = "".join(r.choice("0123456789") for _ in range(r.randint(1, 40)))
        scale = r.randint(0, min(20, len(digits)))
        text = digits[:len(digits) - scale] + ("." + digits[len(digits) - scale:] if scale else "")
        return self.null_or(quote(("-" if r.random() < 0.3 else "") + (text if text[0] != "." else "0" + text)) + "::numeric")

    def float8(self):
        r = self.rng
        x = r.choice([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 5e-324, 1.7976931348623157e308, 0.1,
                      r.uniform(-1e6, 1e6), struct.unpack("<d", r.randbytes(8))[0]])
        text = "NaN" if x != x else "Infinity" if x == float("inf") else "-Infinity" if x == float("-inf") else repr(x)
        return self.null_or(quote(text) + "::float8")

    def boolean(self):
        return self.null_or(self.rng.choice(["true", "false"]))

    def timestamptz(self):
        r = self.rng
        if r.random() < 0.03:
            return r.choice(["'infinity'", "'-infinity'", "'0044-03-15 12:00:00.5+00 BC'", "'12345-01-01 00:00:00+00'"]) + "::timestamptz"
        micros = r.randint(-2208988800 * 10**6, 4102444800 * 10**6)  # 1900 to 2100
        if r.random() < 0.3:
            micros -= micros % 10**6  # no fraction
        moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=micros)
        return self.null_or(quote(moment.isoformat()) + "::timestamptz")

    def bytea(self):
        r = self.rng
        # Over about 2 KB a row's bytea goes to the TOAST table; random bytes do not compress.
        size = r.randint(3000, 12000) if r.random() < 0.05 else r.randint(0, 40)
        return self.null_or("'\\x" + r.randbytes(size).hex() + "'::bytea")

    def json_value(self, depth=0):
        r = self.rng
        kind = r.randrange(7 if depth < 3 else 4)
        if kind == 0:
            return None
        if kind == 1:
            return r.choice([True, False])
        if kind == 2:
            return r.choice([r.randint(-10**20, 10**20), r.uniform(-1e9, 1e9), 0, -0.5])
        if kind == 3:
            return self.text()
        if kind in (4, 5):
            return {self.text(3): self.json_value(depth + 1) for _ in range(r.randint(0, 4))}
        return [self.json_value(depth + 1) for _ in range(r.randint(0, 4))]

    def jsonb(self):
        return self.null_or(quote(json.dumps(self.json_value(), ensure_ascii=False)) + "::jsonb")

    def int_array(self):
        items = [self.rng.choice(["NULL", self.int4()]) if self.rng.random() < 0.2 else self.int4()
                 for _ in range(self.rng.randint(0, 5))]
        return self.null_or(f"ARRAY[{','.join(items)}]::int[]" if items else "'{}'::int[]")

    def text_array(self):
        items = ["NULL" if self.rng.random() < 0.15 else quote(self.text(3)) for _ in range(self.rng.randint(0, 4))]
        return self.null_or(f"ARRAY[{','.join(items)}]::text[]" if items else "'{}'::text[]")


class Keys:
    """A set with O(1) random choice and removal."""

    def __init__(self):
        self.items, self.index = [], {}

    def add(self, key):
        self.index[key] = len(self.items)
        self.items.append(key)

    def remove(self, key):
        i = self.index.pop(key)
        last = self.items.pop()
        if i < len(self.items):
            self.items[i] = last
            self.index[last] = i

    def clear(self):
        self.items, self.index = [], {}

    def pick(self, rng, avoid):
        for _ in range(4):
            if not self.items:
                return None
            key = rng.choice(self.items)
            if key not in avoid:
                return key
        return None


class Workload:
    def __init__(self, rng):
        self.rng, self.v = rng, Values(rng)
        self.keys = {t: Keys() for t in ("accounts", "blobs", "pairs")}
        self.next_key = 1

    def fresh(self):
        self.next_key += 1
        return self.next_key

    def row_values(self, table, key):
        v = self.v
        if table == "accounts":
            return [str(key), v.int8(), v.numeric(), v.float8(), v.boolean(), v.null_or(quote(v.text())),
                    v.timestamptz(), v.int_array()]
        if table == "blobs":
            return [str(key), v.bytea(), v.jsonb(), v.text_array(), v.null_or(quote(v.text()))]
        return [str(key[0]), quote(key[1]), v.numeric(), v.timestamptz()]

    def new_key(self, table):
        k = self.fresh()
        return (k, self.v.text(3) + str(k)) if table == "pairs" else k

    @staticmethod
    def where(table, key):
        return f"a = {key[0]} AND b = {quote(key[1])}" if table == "pairs" else f"id = {key}"

    def insert(self, table, ops):
        keys = [self.new_key(table) for _ in range(self.rng.randint(1, 3))]
        ops += [("add", table, k) for k in keys]
        rows = ", ".join("(" + ", ".join(self.row_values(table, k)) + ")" for k in keys)
        return f"INSERT INTO {table} VALUES {rows}"

    def update(self, table, key, ops, change_key):
        r, v = self.rng, self.v
        sets = {"accounts": [("big", v.int8), ("amount", v.numeric), ("ratio", v.float8), ("active", v.boolean),
                             ("opened", v.timestamptz), ("scores", v.int_array)],
                "blobs": [("doc", v.jsonb), ("tags", v.text_array), ("note", lambda: quote(v.text()))],
                "pairs": [("amount", v.numeric), ("at", v.timestamptz)]}[table]
        chosen = r.sample(sets, r.randint(1, len(sets)))
        assignments = [f"{name} = {make()}" for name, make in chosen]
        if change_key:
            new = self.new_key(table)
            assignments += [f"a = {new[0]}", f"b = {quote(new[1])}"] if table == "pairs" else [f"id = {new}"]
            ops += [("remove", table, key), ("add", table, new)]
        return f"UPDATE {table} SET {', '.join(assignments)} WHERE {self.where(table, key)}"

    def bulk(self, ops):
        """Hundreds of rows in one statement: a transaction bigger than one frame of the log."""
        start = self.next_key + 1
        count = self.rng.randint(100, 400)
        self.next_key += count
        ops += [("add", "blobs", k) for k in range(start, start + count)]
        return (f"INSERT INTO blobs SELECT g, decode(repeat(md5(g::text), {self.rng.randint(1, 60)}), 'hex'), "
                f"jsonb_build_object('g', g, 'ü', ARRAY[g, -g]), ARRAY['bulk', g::text], NULL "
                f"FROM generate_series({start}, {start + count - 1}) g")

    def statement(self, touched, truncated, ops):
        """One random statement; `touched` keeps a transaction from changing one row twice."""
        r = self.rng
        table = r.choice(("accounts", "blobs", "pairs"))
        kind = r.choices(["insert", "update", "update_key", "delete", "bulk", "truncate"],
                         [30, 35, 10, 20, 0.05, 0.03])[0]
        if kind == "insert":
            return self.insert(table, ops)
        if kind == "bulk":
            return self.bulk(ops)
        if kind == "truncate":
            truncated.add(table)
            ops.append(("clear", table, None))
            return f"TRUNCATE {table}"
        key = None if table in truncated else self.keys[table].pick(r, touched)
        if key is None:
            return self.insert(table, ops)
        touched.add(key)
        if kind == "delete":
            ops.append(("remove", table, key))
            return f"DELETE FROM {table} WHERE {self.where(table, key)}"
        return self.update(table, key, ops, kind == "update_key")

    def transaction(self, seq):
        """(sql, model operations, rolled back?) for transaction number `seq`."""
        r, ops, touched, truncated = self.rng, [], set(), set()
        statements = [self.insert(r.choice(("accounts", "blobs", "pairs")), ops)]
        statements += [self.statement(touched, truncated, ops) for _ in range(r.randint(0, 4))]
        if r.random() < 0.05:
            # A subtransaction rolled back inside a committed one: none of it may appear.
            inner = []
            statements += ["SAVEPOINT s", self.statement(set(touched), set(truncated), inner), "ROLLBACK TO SAVEPOINT s"]
        rolled_back = seq % ROLLBACK_EVERY == ROLLBACK_EVERY - 1
        if rolled_back:
            sql = "BEGIN; " + "; ".join(statements) + "; SELECT txid_current(); ROLLBACK"
        else:
            sql = ("BEGIN; " + "; ".join(statements) +
                   f"; INSERT INTO proof_commits VALUES ({seq}, txid_current()); COMMIT")
        return sql, ops, rolled_back

    def settle(self, ops):
        for op, table, key in ops:
            if op == "add":
                self.keys[table].add(key)
            elif op == "remove":
                self.keys[table].remove(key)
            else:
                self.keys[table].clear()


class Session:
    """The connection, opened again whenever the server went away."""

    def __init__(self, conninfo):
        # Synchronous commit: a COMMIT that returned is in the WAL the server reports as
        # flushed, which is where the relay's catch-up run stops.
        self.conninfo = conninfo + " options='-c synchronous_commit=on'"
        self.conn, self.reconnects = None, 0
        self.connect()

    def connect(self):
        deadline = time.monotonic() + RECONNECT_SECONDS
        while True:
            try:
                self.conn = Connection(self.conninfo)
                return
            except ConnectionLost as e:
                if time.monotonic() > deadline:
                    sys.exit(f"workload: no connection within {RECONNECT_SECONDS} s: {e}")
                time.sleep(0.05)

    def reconnect(self):
        self.conn.close()
        self.reconnects += 1
        self.connect()


def kills_done(outdir):
    try:
        return int(open(os.path.join(outdir, "kills")).read())
    except (OSError, ValueError):
        return 0


def run(conninfo, transactions, seed, restarts, kills, outdir):
    started, rng = time.monotonic(), random.Random(seed)
    workload, session = Workload(rng), Session(conninfo)
    rolled_back_file = open(os.path.join(outdir, "rolled_back"), "w")
    committed = rolled = in_flight_committed = in_flight_retried = 0
    for seq in range(transactions):
        sql, ops, rolled_back = workload.transaction(seq)
        due = sum(1 for k in range(1, restarts + 1) if seq >= transactions * k // (restarts + 1))
        if session.reconnects < due or seq * kills > transactions * (kills_done(outdir) + 1):
            time.sleep(0.02)
        while True:
            try:
                results = session.conn.run(sql)
                break
            except ConnectionLost:
                session.reconnect()
                if rolled_back:
                    continue  # rolled back either way; its xid stays unknown
                # The server's own record says whether that COMMIT happened.
                fate = session.conn.run(f"SELECT count(*) FROM proof_commits WHERE seq = {seq}")[0].rows[0][0]
                if fate == "1":
                    in_flight_committed += 1
                    results = None
                    break
                in_flight_retried += 1
        if rolled_back:
            if results is not None:
                rolled_back_file.write(results[-1].rows[0][0] + "\n")
            rolled += 1
        else:
            workload.settle(ops)
            committed += 1
        if seq % 50 == 49 or seq == transactions - 1:
            with open(os.path.join(outdir, "progress.tmp"), "w") as f:
                f.write(f"{seq + 1}\n")
            os.rename(os.path.join(outdir, "progress.tmp"), os.path.join(outdir, "progress"))
    rolled_back_file.close()
    print(f"workload: {committed} committed, {rolled} rolled back in {time.monotonic() - started:.0f} s, "
          f"{session.reconnects} reconnects; "
          f"in flight at a lost connection: {in_flight_committed} had committed, {in_flight_retried} had not (sent again)")


def main():
    if sys.argv[1] == "schema":
        Connection(sys.argv[2]).run(SCHEMA)
    elif sys.argv[1] == "run":
        run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
