"""A stand-in for an application that keeps its state in SQLite (issue 8's end-to-end proof).

    python3 sqlite_app.py DB TRANSACTIONS SEED JOURNAL

Creates two tables if missing (one keyed by an INTEGER PRIMARY KEY, one by its rowid), then
runs TRANSACTIONS random transactions of 1 to 5 inserts, updates and deletes with values of
every storage class, rolling about one in ten back. After each commit it appends one line per
row change to JOURNAL ("table op key"), in commit order: what the log must hold, exactly.
"""
import math
import random
import sqlite3
import sys
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, name TEXT, balance REAL, blob BLOB, big INTEGER, anything);
CREATE TABLE IF NOT EXISTS notes (body TEXT, n INTEGER);
"""


def random_value(rng):
    kind = rng.randrange(8)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([0, -1, 2**53 + 1, 2**63 - 1, -(2**63), rng.randrange(-10**6, 10**6)])
    if kind == 2:
        return rng.choice([0.1, 1 / 3, -0.0, 5e-324, 1.7976931348623157e308, math.inf, -math.inf, rng.random() * 1e6])
    if kind == 3:
        return rng.choice(["", "it's", "line\nbreak", "nul\x00inside", "π ∑ 𝄞", "x" * rng.randrange(1, 300)])
    if kind == 4:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
    return rng.randrange(-1000, 1000)


def main():
    db, count, seed, journal_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rng = random.Random(seed)
    con = sqlite3.connect(db, isolation_level=None, timeout=60)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript(SCHEMA)
    accounts = {row[0] for row in con.execute("SELECT id FROM accounts")}
    notes = {row[0] for row in con.execute("SELECT rowid FROM notes")}
    next_id = max(accounts, default=0) + 1
    with open(journal_path, "a") as journal:
        for t in range(count):
            con.execute("BEGIN IMMEDIATE")
            changes, new_accounts, new_notes = [], set(accounts), set(notes)
            for _ in range(rng.randrange(1, 6)):
                op = rng.randrange(6)
                if op == 0 or not new_accounts:
                    values = [next_id, random_value(rng), random_value(rng), random_value(rng), random_value(rng),
                              random_value(rng)]
                    # TEXT that is not valid UTF-8 cannot come from a Python str: cast bytes.
                    if rng.randrange(10) == 0:
                        con.execute("INSERT INTO accounts VALUES (?, CAST(? AS TEXT), ?, ?, ?, ?)",
                                    [next_id, bytes([0xff, 0x41]), *values[2:]])
                    else:
                        con.execute("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?)", values)
                    changes.append(f"accounts c {next_id}")
                    new_accounts.add(next_id)
                    next_id += 1
                elif op == 1:
                    key = rng.choice(sorted(new_accounts))
                    con.execute("UPDATE accounts SET balance = ?, big = ? WHERE id = ?",
                                [random_value(rng), random_value(rng), key])
                    changes.append(f"accounts u {key}")
                elif op == 2:
                    key = rng.choice(sorted(new_accounts))
                    con.execute("DELETE FROM accounts WHERE id = ?", [key])
                    changes.append(f"accounts d {key}")
                    new_accounts.discard(key)
                elif op == 3 or not new_notes:
                    cur = con.execute("INSERT INTO notes VALUES (?, ?)", [random_value(rng), random_value(rng)])
                    changes.append(f"notes c {cur.lastrowid}")
                    new_notes.add(cur.lastrowid)
                elif op == 4:
                    key = rng.choice(sorted(new_notes))
                    con.execute("UPDATE notes SET n = ? WHERE rowid = ?", [random_value(rng), key])
                    changes.append(f"notes u {key}")
                else:
                    key = rng.choice(sorted(new_notes))
                    con.execute("DELETE FROM notes WHERE rowid = ?", [key])
                    changes.append(f"notes d {key}")
                    new_notes.discard(key)
            if rng.randrange(10) == 0:
                con.execute("ROLLBACK")
                next_id = max(accounts, default=0) + 1  # the rolled-back ids are free again
                continue
            con.execute("COMMIT")
            accounts, notes = new_accounts, new_notes
            journal.write("".join(c + "\n" for c in changes))
            if t % 20 == 0:
                journal.flush()
                time.sleep(0.002)  # an application does other things too: leave the relay room
    con.close()


if __name__ == "__main__":
    main()
