# `evlog capture postgres -f` killed with SIGKILL at random moments while a workload commits,
# restarted each time; then a run without -f. The log must hold every committed transaction
# exactly once, one batch each, in commit-LSN order (format-spec/change-events.md §C7.4):
# what a kill leaves appended but unconfirmed is skipped on restart, what it leaves
# unappended the slot sends again. EVLOG_PG_KILL_SEED replays a run; EVLOG_PG_KILLS (8) and
# EVLOG_PG_KILL_TRANSACTIONS (400) make it longer.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

SEED=${EVLOG_PG_KILL_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
KILLS=${EVLOG_PG_KILLS:-8}
TRANSACTIONS=${EVLOG_PG_KILL_TRANSACTIONS:-400}
echo "seed $SEED (replay with EVLOG_PG_KILL_SEED=$SEED)"
RANDOM=$SEED

pg_start
LOG=$WORK/log
pg_sql "CREATE TABLE items (id int PRIMARY KEY, name text)"
pg_sql "CREATE TABLE xids (xid bigint)"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot k --create-slot -t items

# The workload: one psql session committing TRANSACTIONS transactions of 1-3 rows, every
# fifth rolled back; each committed one records its xid. Synchronous commits: the final run
# stops at the WAL the server had flushed when it started.
echo "SET synchronous_commit = on;" >"$WORK/workload.sql"
for ((i = 1; i <= TRANSACTIONS; i++)); do
  if ((i % 5 == 0)); then
    echo "BEGIN; INSERT INTO items VALUES ($i, 'x'); ROLLBACK;"
  else
    rows="($i, 'r$i')"
    ((RANDOM % 2)) && rows+=", ($((i + 1000000)), 's$i')"
    ((RANDOM % 3 == 0)) && rows+=", ($((i + 2000000)), 't$i')"
    echo "BEGIN; INSERT INTO items VALUES $rows; INSERT INTO xids SELECT txid_current(); COMMIT;"
  fi
  # Pauses spread the commits over the kills.
  ((i % 10 == 0)) && echo "SELECT pg_sleep(0.03);"
done >>"$WORK/workload.sql"
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$PG_CONNINFO" -f "$WORK/workload.sql" >/dev/null 2>"$WORK/workload.err" &
workload=$!
BACKGROUND_PIDS+=("$workload")

# At least KILLS kills, and on until the workload has finished.
kills=0
while ((kills < KILLS)) || kill -0 "$workload" 2>/dev/null; do
  # The killed relay's walsender lets go of the slot once it notices the closed connection.
  wait_until 30 "slot k released" bash -c "[[ \$('$PG_BIN/psql' -X -At -d '$PG_CONNINFO' -c \"SELECT active FROM pg_replication_slots WHERE slot_name = 'k'\") == f ]]"
  "$EVLOG" capture postgres "$PG_CONNINFO" "$LOG" --slot k -f 2>>"$WORK/relay.err" &
  relay=$!
  sleep "0.$((RANDOM % 30 + 5))"
  kill -KILL "$relay" 2>/dev/null || true
  wait "$relay" 2>/dev/null || true
  ((++kills))
done
echo "kills $kills; events before the final run: $(event_count "$LOG")"
wait "$workload" || fail "workload: $(cat "$WORK/workload.err")"
wait_until 30 "slot k released" bash -c "[[ \$('$PG_BIN/psql' -X -At -d '$PG_CONNINFO' -c \"SELECT active FROM pg_replication_slots WHERE slot_name = 'k'\") == f ]]"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot k
echo "final run: $(cat "$WORK/stderr")"

evlog tail "$LOG" --from beginning --json >"$WORK/tail.json"
pg_sql "SELECT xid FROM xids" >"$WORK/xids"
python3 "$(dirname "$0")/pg_capture_check.py" "$WORK/tail.json" "$WORK/xids" || fail "log check (seed $SEED)"
assert_eq "$(pg_sql "SELECT count(*) FROM items")" "$(event_count "$LOG")" "one event per committed row"
echo "ok"
