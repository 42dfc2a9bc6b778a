"""Capture and apply figures, side by side with SQLite's own insert rate (issue 8).

    python3 bench/capture_bench.py EVLOG WORKDIR [--rows N] [--latency-commits N]

Phases, each timed with a monotonic clock around the command:
  insert   N rows into a plain table, 1,000 rows per transaction (WAL, synchronous=NORMAL):
           SQLite's own rate, the baseline;
  capture  the same rows into a captured table (the triggers' cost to the application);
  relay    `evlog capture sqlite DB LOG` moving the N outbox rows into the log;
  apply    `evlog apply LOG --to sqlite:...` rebuilding them in an empty database;
  latency  one-row transactions every 5 ms while `capture -f` runs; a `tail -f` reader
           stamps each event on arrival: commit-to-log p50/p99 (an upper bound: it includes
           the reader's wake-up).
Prints one table and the ratios; exits non-zero only if a command fails or a count is wrong.
"""
import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time

from follow_latency import commit_to_log_ms

SCHEMA = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER, note TEXT)"


def rows(n):
    for i in range(1, n + 1):
        yield (i, f"item-{i}", i * 0.25, i % 97, "some text that an application might store " * 2)


def fill(db, n, captured, evlog):
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(SCHEMA)
    con.close()
    if captured:
        subprocess.run([evlog, "capture", "sqlite", db, "--install", "-t", "items"], check=True)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA synchronous=NORMAL")
    start = time.monotonic()
    batch = []
    for row in rows(n):
        batch.append(row)
        if len(batch) == 1000:
            con.execute("BEGIN")
            con.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", batch)
            con.execute("COMMIT")
            batch.clear()
    if batch:
        con.execute("BEGIN")
        con.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", batch)
        con.execute("COMMIT")
    elapsed = time.monotonic() - start
    con.close()
    return elapsed


def timed(cmd):
    start = time.monotonic()
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def count_events(evlog, log):
    out = subprocess.run([evlog, "tail", log, "--from", "beginning", "--format", "x"], check=True,
                         capture_output=True).stdout
    return len(out)


def latency(evlog, work, commits):
    db, log = os.path.join(work, "lat.db"), os.path.join(work, "lat.log")
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(SCHEMA)
    con.close()
    subprocess.run([evlog, "capture", "sqlite", db, "--install", "-t", "items"], check=True)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA synchronous=NORMAL")

    def commit(i):
        con.execute("INSERT INTO items VALUES (?, 'x', 1.0, 1, 'y')", (i,))  # autocommit: one transaction

    ms = commit_to_log_ms(evlog, log, [evlog, "capture", "sqlite", db, log, "-f"], commit, range(1, commits + 1))
    return statistics.median(ms), ms[int(len(ms) * 0.99) - 1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("evlog")
    p.add_argument("work")
    p.add_argument("--rows", type=int, default=200000)
    p.add_argument("--latency-commits", type=int, default=1000)
    a = p.parse_args()
    n, evlog, w = a.rows, a.evlog, a.work
    plain = fill(os.path.join(w, "plain.db"), n, False, evlog)
    captured = fill(os.path.join(w, "src.db"), n, True, evlog)
    relay = timed([evlog, "capture", "sqlite", os.path.join(w, "src.db"), os.path.join(w, "log")])
    if count_events(evlog, os.path.join(w, "log")) != n:
        sys.exit("bench: relay: the log does not hold one event per row")
    target = os.path.join(w, "dst.db")
    sqlite3.connect(target).execute(SCHEMA)
    apply = timed([evlog, "apply", os.path.join(w, "log"), "--to", "sqlite:" + target, "-g", "bench"])
    if sqlite3.connect(target).execute("SELECT count(*) FROM items").fetchone()[0] != n:
        sys.exit("bench: apply: the target does not hold every row")
    p50, p99 = latency(evlog, w, a.latency_commits)

    print(f"{'phase':<10}{'what':<52}{'seconds':>9}{'rows/s':>12}")
    for phase, what, secs in [
        ("insert", "SQLite inserts, 1000 rows per transaction", plain),
        ("capture", "the same into a captured table (triggers)", captured),
        ("relay", "evlog capture sqlite DB LOG (outbox -> log)", relay),
        ("apply", "evlog apply LOG --to sqlite:DB (log -> rows)", apply),
    ]:
        print(f"{phase:<10}{what:<52}{secs:>9.3f}{n / secs:>12,.0f}")
    print(f"latency   commit to log under capture -f ({a.latency_commits} one-row transactions): "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"ratios    relay/insert {plain / relay:.2f}   capture/insert {plain / captured:.2f}   "
          f"apply/insert {plain / apply:.2f}")
    print(f"targets   relay >= 100,000 rows/s: {'PASS' if n / relay >= 100000 else 'BELOW'}   "
          f"p50 < 20 ms: {'PASS' if p50 < 20 else 'BELOW'}")


if __name__ == "__main__":
    main()
