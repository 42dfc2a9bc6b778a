# capture sqlite, the running relay (change-events.md §C5): order and contiguity across
# batches, -f follows new commits and stops cleanly on SIGTERM, one relay per database, and
# a database locked by a long writer makes the relay wait and say so.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/capture_lib.sh"
DB=$WORK/app.db LOG=$WORK/log

app "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v)" >/dev/null
evlog capture sqlite "$DB" --install -t t 2>/dev/null

# A 25,000-row transaction spans three reads (10,000 rows each): contiguous and in order.
app "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25000)
           INSERT INTO t SELECT i, 'row ' || i FROM n"
assert_eq "evlog: capture: relayed 25000 changes (offsets 0..24999)" "$(evlog capture sqlite "$DB" "$LOG" 2>&1)" "bulk"
assert_eq "$(seq 1 25000)" "$(outbox_ids "$LOG")" "outbox ids of the bulk transaction"

# -f: new commits arrive within moments; a second relay is refused and names the first.
"$EVLOG" capture sqlite "$DB" "$LOG" -f 2>"$WORK/follow.err" &
follower=$!
BACKGROUND_PIDS+=("$follower")
for i in 1 2 3; do app "$DB" "INSERT INTO t VALUES (100000 + $i, 'followed')"; done
for ((i = 0; i < 600; i++)); do [[ $(outbox_ids "$LOG" | tail -1) == 25003 ]] && break; sleep 0.05; done
assert_eq 25003 "$(outbox_ids "$LOG" | tail -1)" "changes relayed by -f"
expect_status 1 evlog capture sqlite "$DB" "$WORK/other"
assert_contains "$(cat "$WORK/stderr")" "another relay is running for this database (pid $follower" "second relay"
# The same database through a symbolic link, or a path with `..`, is the same database.
ln -s "$DB" "$WORK/link.db"
expect_status 1 evlog capture sqlite "$WORK/link.db" "$WORK/other"
assert_contains "$(cat "$WORK/stderr")" "another relay is running for this database (pid $follower" "relay through a symlink"
mkdir "$WORK/sub"
expect_status 1 evlog capture sqlite "$WORK/sub/../$(basename "$DB")" "$WORK/other"
assert_contains "$(cat "$WORK/stderr")" "another relay is running for this database (pid $follower" "relay through .."
kill -TERM "$follower"
status=0
wait "$follower" || status=$?
assert_eq 143 "$status" "exit status of -f after SIGTERM"
assert_contains "$(cat "$WORK/follow.err")" "relayed 3 changes (offsets 25000..25002)" "summary of -f"
assert_eq 0 "$(outbox_rows "$DB")" "outbox after -f stopped"

# A writer holding the database's lock (rollback journal: readers wait too) until the relay
# has said that it waits. Ordered by what each side shows, not by sleeps: on a loaded machine
# a sanitized relay can take longer to start than any fixed pause.
LOCKED=$WORK/locked.db
app "$LOCKED" "CREATE TABLE t (id INTEGER PRIMARY KEY, v)"
evlog capture sqlite "$LOCKED" --install -t t 2>/dev/null
{
  echo "BEGIN EXCLUSIVE; INSERT INTO t VALUES (1, 'slow');"
  wait_until 120 "the relay reports its wait" grep -q "waiting for DB" "$WORK/locked.err"
  echo "COMMIT;"
} | app "$LOCKED" &
BACKGROUND_PIDS+=($!)
wait_until 60 "the writer holds the lock" test -e "$LOCKED-journal"
evlog capture sqlite "$LOCKED" "$WORK/locked-log" 2>"$WORK/locked.err"
assert_contains "$(cat "$WORK/locked.err")" "waiting for DB: $LOCKED is locked by another connection" "long writer"
assert_contains "$(cat "$WORK/locked.err")" "relayed 1 changes" "relayed once the writer committed"
# A database restored from an older copy gives the ids the log already holds to new
# changes: the relay refuses, rather than delete them as "already relayed". Both a copy
# taken before any relay and one taken after some.
for when in before-any-relay after-a-relay; do
  R=$WORK/restore-$when.db RL=$WORK/restore-$when-log
  app "$R" "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);" >/dev/null
  evlog capture sqlite "$R" --install -t t 2>/dev/null
  app "$R" "INSERT INTO t VALUES (1, 'a');"
  [[ $when == after-a-relay ]] && evlog capture sqlite "$R" "$RL" 2>/dev/null
  app "$R" ".backup $WORK/backup.db"
  app "$R" "INSERT INTO t VALUES (2, 'b'); INSERT INTO t VALUES (3, 'c');"
  evlog capture sqlite "$R" "$RL" 2>/dev/null
  cp "$WORK/backup.db" "$R" && rm -f "$R-wal" "$R-shm"
  app "$R" "INSERT INTO t VALUES (100, 'new'); INSERT INTO t VALUES (101, 'new'); INSERT INTO t VALUES (102, 'new');"
  expect_status 1 evlog capture sqlite "$R" "$RL"
  assert_contains "$(cat "$WORK/stderr")" "was the database restored from an older copy?" "relay after a restore ($when)"
  assert_eq 3 "$(app "$R" "SELECT count(*) FROM _evlog_outbox WHERE after LIKE '%new%'")" "new changes kept ($when)"
done
echo PASS
