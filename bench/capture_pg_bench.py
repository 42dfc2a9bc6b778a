"""Capture from and apply into PostgreSQL, side by side with pg_recvlogical and PostgreSQL's
own insert rate (issue 10).

    python3 bench/capture_pg_bench.py EVLOG WORKDIR [--rows N] [--one-row N] [--latency-commits N]

A throwaway server (bench/pg_server.py) with PostgreSQL's default durability: fsync,
synchronous_commit and full_page_writes on. Phases, each timed with a monotonic clock around
the command, with the CPU seconds of the client command and of the server backends serving
it (which tell who waited for whom):
  insert       N rows into the published table, 1,000 per transaction (INSERT ... SELECT
               generate_series): PostgreSQL's own rate, the baseline for apply;
  recvlogical  pg_recvlogical streaming them from a pgoutput slot into a file, stopped at the
               server's LSN after the inserts: the protocol's ceiling on this machine (it
               writes each message as it comes and fsyncs every 10 s and at exit);
  relay        `evlog capture postgres` streaming the same from its own slot into a log, one
               atomic batch per transaction, each durable before the slot is told;
  copy         COPY of the same rows into a fresh table, one transaction;
  apply        `evlog apply LOG --to postgres:...` rebuilding them in an empty database;
  1-row        the per-transaction overhead: M one-row transactions committed one at a time
               (each waits for its WAL flush), then pg_recvlogical and the relay as above,
               each from a new slot created before them;
  latency      one-row transactions every 5 ms while `capture -f` runs; a `tail -f` reader
               stamps each event on arrival: commit-to-log mean/p50/p99 (an upper bound: it
               includes the reader's wake-up).
Prints one table and the ratios; exits non-zero only if a command fails or a count is wrong.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

from follow_latency import commit_to_log_ms
from pg_server import Connection, Server
from pgoutput_count import count_inserts

SCHEMA = "CREATE TABLE {} (id bigint PRIMARY KEY, name text, price float8, qty integer, note text)"
# The same rows as bench/capture_bench.py's SQLite ones.
ROWS = ("SELECT g, 'item-' || g, g * 0.25, g % 97, repeat('some text that an application might store ', 2) "
        "FROM generate_series({}, {}) g")
PUBLICATION = "bench"


class Phase:
    """A timed phase: wall seconds, and CPU seconds of the client command and of the server."""

    def __init__(self, wall, client_cpu, server_cpu):
        self.wall, self.client_cpu, self.server_cpu = wall, client_cpu, server_cpu


def run_command(server, cmd):
    """Runs cmd; its server CPU is that of the backends it connected to, reaped after it exits."""
    before = server.backends()
    server_cpu = server.reaped_cpu(before)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return Phase(wall, client_cpu, server.reaped_cpu(before) - server_cpu)


def run_sql(server, conninfo, statements):
    """Runs the statements, each its own transaction, on a connection of their own."""
    before = server.backends()
    server_cpu = server.reaped_cpu(before)
    con = Connection(conninfo)
    start = time.monotonic()
    for sql in statements:
        con.exec(sql)
    wall = time.monotonic() - start
    con.close()
    return Phase(wall, None, server.reaped_cpu(before) - server_cpu)


def inserts(first, n, per_transaction):
    """INSERT statements for ids first..first+n-1, per_transaction rows each."""
    return [f"INSERT INTO items {ROWS.format(low, min(low + per_transaction, first + n) - 1)}"
            for low in range(first, first + n, per_transaction)]


def count_events(evlog, log):
    out = subprocess.run([evlog, "tail", log, "--from", "beginning", "--format", "x"], check=True,
                         capture_output=True).stdout
    return len(out)


def create_slots(con, suffix):
    """A pgoutput slot for evlog and one for pg_recvlogical, both starting now."""
    for slot in ("evlog", "recv"):
        con.exec(f"SELECT pg_create_logical_replication_slot('{slot}{suffix}', 'pgoutput')")


def recvlogical(server, slot, end_lsn, path, expected):
    phase = run_command(server, [server.tool("pg_recvlogical"), "-d", server.conninfo, "--slot", slot, "--start",
                                 "--no-loop", "--endpos", end_lsn, "-o", "proto_version=1",
                                 "-o", f"publication_names={PUBLICATION}", "-f", path])
    inserts_seen, _ = count_inserts(path)
    if inserts_seen != expected:
        sys.exit(f"bench: pg_recvlogical: {inserts_seen} inserts in {path}, expected {expected}")
    return phase


def relay(evlog, server, slot, log, expected):
    phase = run_command(server, [evlog, "capture", "postgres", server.conninfo, log, "--slot", slot,
                                 "--publication", PUBLICATION])
    events = count_events(evlog, log)
    if events != expected:
        sys.exit(f"bench: relay: {events} events in {log}, expected {expected}")
    return phase


def copy_and_apply(evlog, server, con, log, n):
    con.exec("CREATE DATABASE target")
    target_conninfo = server.conninfo.replace("dbname=postgres", "dbname=target")
    target = Connection(target_conninfo)
    target.exec(SCHEMA.format("items"))
    target.exec(SCHEMA.format("items_copy"))
    rows_file = os.path.join(server.dir, "rows.copy")  # the server reads and writes it
    con.exec(f"COPY (SELECT * FROM items WHERE id <= {n} ORDER BY id) TO '{rows_file}'")
    copy = run_sql(server, target_conninfo, [f"COPY items_copy FROM '{rows_file}'"])
    apply = run_command(server, [evlog, "apply", log, "--to", "postgres:" + target_conninfo, "-g", "bench"])
    for table in ("items", "items_copy"):
        if int(target.exec(f"SELECT count(*) FROM {table}")) != n:
            sys.exit(f"bench: {table} in the target does not hold every row")
    target.close()
    return copy, apply


def latency(evlog, server, con, work, first_id, commits):
    # A slot of its own, starting now: nothing from the earlier phases comes first.
    con.exec("SELECT pg_create_logical_replication_slot('latency', 'pgoutput')")
    relay_cmd = [evlog, "capture", "postgres", server.conninfo, os.path.join(work, "lat.log"), "--slot", "latency",
                 "--publication", PUBLICATION, "-f"]

    def commit(i):
        con.exec(f"INSERT INTO items {ROWS.format(i, i)}")  # autocommit: one transaction

    # The settling time lets the relay connect and start streaming: its start-up is not latency.
    ms = commit_to_log_ms(evlog, os.path.join(work, "lat.log"), relay_cmd, commit,
                          range(first_id, first_id + commits), settle=0.5)
    return statistics.mean(ms), statistics.median(ms), ms[int(len(ms) * 0.99) - 1]


def settings(con):
    names = ["server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method",
             "shared_buffers", "autovacuum"]
    return ", ".join(f"{n}={con.exec(f'SHOW {n}')}" for n in names)


def report(config, load, n, m, phases, lat, latency_commits):
    print(f"server      PostgreSQL {config}")
    print(f"machine     {os.cpu_count()} cores, 1-minute load average {load[0]:.1f} before, {load[1]:.1f} after")
    print(f"{'phase':<12}{'what':<56}{'seconds':>8}{'rows/s':>10}{'client':>8}{'server':>8}")
    print(f"{'':<12}{'':<56}{'':>8}{'':>10}{'cpu s':>8}{'cpu s':>8}")
    for phase, what, count in [
        ("insert", "INSERT ... SELECT, 1000 rows per transaction", n),
        ("recvlogical", "pg_recvlogical -f FILE, to the same end LSN (ceiling)", n),
        ("relay", "evlog capture postgres CONNINFO LOG (slot -> log)", n),
        ("copy", "COPY of the same rows into a fresh table", n),
        ("apply", "evlog apply LOG --to postgres:CONNINFO (log -> rows)", n),
        ("insert-1", f"{m} one-row INSERTs, each its own transaction", m),
        ("recvlog-1", "pg_recvlogical -f FILE, the same", m),
        ("relay-1", "evlog capture postgres CONNINFO LOG, the same", m),
    ]:
        p = phases[phase]
        client = "-" if p.client_cpu is None else f"{p.client_cpu:.2f}"
        print(f"{phase:<12}{what:<56}{p.wall:>8.3f}{count / p.wall:>10,.0f}{client:>8}{p.server_cpu:>8.2f}")
    print(f"latency     commit to log under capture -f ({latency_commits} one-row transactions, 5 ms apart): "
          f"mean {lat[0]:.1f} ms, p50 {lat[1]:.1f} ms, p99 {lat[2]:.1f} ms")
    ratio = lambda a, b: phases[a].wall / phases[b].wall  # throughput of b relative to a
    print(f"ratios      relay/recvlogical {ratio('recvlogical', 'relay'):.2f}   "
          f"relay-1/recvlog-1 {ratio('recvlog-1', 'relay-1'):.2f}   relay/insert {ratio('insert', 'relay'):.2f}   "
          f"apply/insert {ratio('insert', 'apply'):.2f}   apply/copy {ratio('copy', 'apply'):.2f}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("evlog")
    p.add_argument("work")
    p.add_argument("--rows", type=int, default=200000)
    p.add_argument("--one-row", type=int, default=2000, help="one-row transactions for the per-transaction case")
    p.add_argument("--latency-commits", type=int, default=1000)
    a = p.parse_args()
    n, m, evlog, w = a.rows, a.one_row, a.evlog, a.work
    load_before = os.getloadavg()[0]
    server = Server()
    phases = {}
    try:
        con = Connection(server.conninfo)
        config = settings(con)
        con.exec(SCHEMA.format("items"))
        con.exec(f"CREATE PUBLICATION {PUBLICATION} FOR TABLE items")
        create_slots(con, "")

        phases["insert"] = run_sql(server, server.conninfo, inserts(1, n, 1000))
        end_lsn = con.exec("SELECT pg_current_wal_flush_lsn()")
        phases["recvlogical"] = recvlogical(server, "recv", end_lsn, os.path.join(w, "recv.out"), n)
        phases["relay"] = relay(evlog, server, "evlog", os.path.join(w, "log"), n)
        phases["copy"], phases["apply"] = copy_and_apply(evlog, server, con, os.path.join(w, "log"), n)

        # New slots: the old ones would decode the bulk phase's WAL again before these
        # transactions (a slot restarts from the oldest WAL it may need, and that point
        # moves on lazily), a cost that has nothing to do with one-row transactions.
        create_slots(con, "1")
        phases["insert-1"] = run_sql(server, server.conninfo, inserts(n + 1, m, 1))
        end_lsn = con.exec("SELECT pg_current_wal_flush_lsn()")
        phases["recvlog-1"] = recvlogical(server, "recv1", end_lsn, os.path.join(w, "recv1.out"), m)
        phases["relay-1"] = relay(evlog, server, "evlog1", os.path.join(w, "log1"), m)

        lat = latency(evlog, server, con, w, n + m + 1, a.latency_commits)
        con.close()
    except BaseException:
        print(f"--- the end of the server's log ---\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()
    report(config, (load_before, os.getloadavg()[0]), n, m, phases, lat, a.latency_commits)


if __name__ == "__main__":
    main()
