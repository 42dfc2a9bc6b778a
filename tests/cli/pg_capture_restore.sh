# A source server restored from an older copy keeps its system identifier, and its WAL
# positions go back: its new transactions get commit LSNs at or below the last one the log
# holds. The relay used to skip them as "sent again after a crash" (exit 0, none in the log).
# It now skips a transaction only if the log holds it (its commit LSN and xid), and refuses
# any other, appending nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

pg_start
LOG=$WORK/log
pg_sql "CREATE TABLE r (id int PRIMARY KEY, v text); CREATE PUBLICATION pub_r FOR TABLE r"
# The copy, taken cold.
pg_shutdown
cp -a "$PG_DIR/data" "$PG_DIR/data.copy"
pg_run_server || pg_fail "the server did not start again"
evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s --publication pub_r --create-slot 2>/dev/null
# synchronous_commit on: a run without -f captures what the server had flushed when it began.
pg_sql "SET synchronous_commit = on; INSERT INTO r SELECT g, repeat('x', 200) FROM generate_series(1, 2000) g"
evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s --publication pub_r 2>"$WORK/capture.err" || fail "capture: $(cat "$WORK/capture.err")"
assert_eq 2000 "$(event_count "$LOG")" "events before the restore"

# The disaster: the copy comes back.
pg_shutdown
rm -rf "$PG_DIR/data" && mv "$PG_DIR/data.copy" "$PG_DIR/data"
pg_run_server || pg_fail "the restored server did not start"
evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s --publication pub_r --create-slot 2>/dev/null
pg_sql "SET synchronous_commit = on; INSERT INTO r VALUES (900001, 'after the restore')"
pg_sql "SET synchronous_commit = on; INSERT INTO r VALUES (900002, 'after the restore')"
expect_status 1 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s --publication pub_r
assert_contains "$(cat "$WORK/stderr")" "but the log does not hold it: was the server restored from an older copy" "refused"
assert_eq 2000 "$(event_count "$LOG")" "nothing appended"
# The slot still holds them: into a new log they are captured.
evlog capture postgres "$PG_CONNINFO" "$WORK/new-log" --slot s --publication pub_r 2>/dev/null
assert_eq 2 "$(event_count "$WORK/new-log")" "the new transactions, into a new log"

# A transaction the log does hold, sent again, is still skipped: pg_capture.sh's second
# slot sends every transaction again into the same log.
echo PASS
