# Issue 10's proof, capture half, against a real server: a seeded workload
# (pg_proof_workload.py: multi-row transactions of numeric, bytea, jsonb, arrays, unicode
# text, timestamptz, float8, bool and NULLs; updates that keep or change the key, deletes,
# rare TRUNCATEs and bulk inserts, every tenth transaction rolled back) while
# `evlog capture postgres -f` is SIGKILLed at random moments and restarted, and the server
# is restarted twice under it (a fast shutdown, then an immediate one, which the server
# recovers from like a crash). Then a run without -f catches up, and pg_proof_check.py
# proves: the log holds exactly the committed transactions (the server's own record of
# them, not the workload's guess), each as one batch, in commit order, none twice; replaying
# its events gives exactly the rows the tables hold.
#
# EVLOG_PG_PROOF_SEED replays a run: the workload's transactions exactly, and the kills'
# random delays (where they land still depends on timing).
# Size: EVLOG_PG_PROOF_TRANSACTIONS, else 20,000 in long mode (EVLOG_TORTURE_LONG=1), else
# EVLOG_PG_PROOF_CI_TRANSACTIONS (2,000; CMake sets 1,000 under the sanitizers): the relay
# syncs once per transaction, so the full size takes minutes. Every size has at least
# EVLOG_PG_PROOF_KILLS (20) kills and both restarts.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

SEED=${EVLOG_PG_PROOF_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
if [[ "${EVLOG_TORTURE_LONG:-}" == 1 ]]; then
  TRANSACTIONS=${EVLOG_PG_PROOF_TRANSACTIONS:-20000}
else
  TRANSACTIONS=${EVLOG_PG_PROOF_TRANSACTIONS:-${EVLOG_PG_PROOF_CI_TRANSACTIONS:-2000}}
fi
KILLS=${EVLOG_PG_PROOF_KILLS:-20}
RESTART_MODES=(fast immediate)
echo "seed $SEED (replay with EVLOG_PG_PROOF_SEED=$SEED), $TRANSACTIONS transactions, at least $KILLS kills"
RANDOM=$SEED

pg_start
LOG=$WORK/log
python3 "$HERE/pg_proof_workload.py" schema "$PG_CONNINFO" || fail "schema"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot proof --create-slot -t accounts -t blobs -t pairs

python3 "$HERE/pg_proof_workload.py" run "$PG_CONNINFO" "$TRANSACTIONS" "$SEED" "${#RESTART_MODES[@]}" "$KILLS" "$WORK" \
  >"$WORK/workload.out" 2>"$WORK/workload.err" &
workload=$!
BACKGROUND_PIDS+=("$workload")

slot_released() {
  [[ $("$PG_BIN/psql" -X -At -d "$PG_CONNINFO" -c "SELECT active FROM pg_replication_slots WHERE slot_name = 'proof'" 2>/dev/null) == f ]]
}
progress() { cat "$WORK/progress" 2>/dev/null || echo 0; }
log_bytes() { stat -c %s "$LOG"/*.seg 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'; }
relay_failed() { fail "$1; the relay's last messages: $(tail -5 "$WORK/relay.err")"; }

# Each relay is killed at a random moment 0-200 ms after its first append, so that the kills
# land among its appends (a blind delay would, under the sanitizers, kill most relays before
# they got going); once the workload has finished and a relay appends nothing for 1 s, it
# has caught up and is killed idle. The server goes down instead when the workload has
# settled k/(R+1) of its transactions, k = 1..R (R restarts); the workload slows down there
# until it has lost its connection, and it keeps pace with the kills (pg_proof_workload.py),
# so that the kills and restarts land in its stream of commits.
kills=0 kills_appending=0 restarts=0
while ((kills < KILLS || restarts < ${#RESTART_MODES[@]})) || kill -0 "$workload" 2>/dev/null; do
  wait_until 60 "slot proof released" slot_released
  before=$(log_bytes)
  "$EVLOG" capture postgres "$PG_CONNINFO" "$LOG" --slot proof -f 2>>"$WORK/relay.err" &
  relay=$!
  for ((i = 0; i < 1200; i++)); do
    (($(log_bytes) > before)) || ! kill -0 "$relay" 2>/dev/null && break
    ((i >= 20)) && ! kill -0 "$workload" 2>/dev/null && break
    sleep 0.05
  done
  (($(log_bytes) > before)) && appending=1 || appending=0
  sleep "$(printf '0.%03d' $((RANDOM % 200)))"
  if ((restarts < ${#RESTART_MODES[@]} && $(progress) >= TRANSACTIONS * (restarts + 1) / (${#RESTART_MODES[@]} + 1))); then
    mode=${RESTART_MODES[restarts]} started=$SECONDS
    pg_restart "$mode"
    ((++restarts))
    # The relay must notice that its server went away and stop by itself, with an error.
    wait_until 60 "the relay stopping after the server's $mode shutdown" bash -c "! kill -0 $relay 2>/dev/null"
    status=0
    wait "$relay" 2>/dev/null || status=$?
    ((status != 0 && status != 137)) || relay_failed "the relay exited with $status after the server's $mode shutdown"
    echo "$SECONDS s: server restarted ($mode shutdown, $((SECONDS - started)) s) at transaction $(progress); the relay stopped with status $status"
    continue
  fi
  kill -KILL "$relay" 2>/dev/null || true
  status=0
  wait "$relay" 2>/dev/null || status=$?
  ((status == 137)) || relay_failed "the relay exited by itself with status $status"
  ((++kills))
  kills_appending=$((kills_appending + appending))
  echo "$kills" >"$WORK/kills.tmp" && mv "$WORK/kills.tmp" "$WORK/kills"
done
wait "$workload" || fail "workload: $(cat "$WORK/workload.err")"
echo "$SECONDS s: $(cat "$WORK/workload.out")"
echo "$SECONDS s: relay killed $kills times ($kills_appending among its appends), server restarted $restarts times;" \
  "events before the final run: $(event_count "$LOG")"
((kills_appending >= KILLS / 4)) || fail "only $kills_appending kills landed among the relay's appends"
reconnects=$(sed -n 's/.* \([0-9]*\) reconnects.*/\1/p' "$WORK/workload.out")
((reconnects >= ${#RESTART_MODES[@]})) || fail "the workload lost its connection $reconnects times: a restart missed it"

wait_until 60 "slot proof released" slot_released
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot proof
echo "$SECONDS s: final run: $(cat "$WORK/stderr")"

evlog tail "$LOG" --from beginning --json >"$WORK/tail.json"
pg_sql "SELECT seq, xid FROM proof_commits ORDER BY seq" | tr '|' ' ' >"$WORK/committed"
python3 "$HERE/pg_proof_check.py" "$LOG" "$WORK/tail.json" "$WORK/committed" "$WORK/rolled_back" "$PG_CONNINFO" ||
  fail "log check (seed $SEED)"

# The apply half: the log into a second database of the same schema, `apply -f` SIGKILLed at
# random moments and the server restarted once under it (apply then stops with an error and
# is started again); a final run without -f. Then the two databases' rows are equal.
pg_sql "CREATE DATABASE replica" >/dev/null
REPLICA="host=$PG_DIR port=$PG_PORT user=evlog dbname=replica"
python3 "$HERE/pg_proof_workload.py" schema "$REPLICA" || fail "replica schema"
APPLY_KILLS=${EVLOG_PG_PROOF_APPLY_KILLS:-10}
apply_kills=0 apply_restarted=0
# Each kill, and the restart, waits until the replica's position has passed a random point of
# the work still to do, not a random time: an `apply -f` that has caught up waits for new
# events without touching the server, so a restart timed by the clock could find it idle (on
# a fast machine every event was applied before the restart) and it never stopped. Each kill
# takes at most a tenth of what remains and the restart a quarter, so work is always left.
total=$(event_count "$LOG")
replica_position() {
  "$PG_BIN/psql" -X -At -d "$REPLICA" -c "SELECT coalesce((SELECT next_offset FROM _evlog_apply WHERE grp = 'replica'), 0)" 2>/dev/null ||
    echo 0
}
running() { [[ -e /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat") != Z ]]; }
# reach TARGET PID: waits until the replica's position is at TARGET or more, while PID runs.
reach() {
  local deadline=$((SECONDS + 60))
  while running "$2" && (($(replica_position) < $1)); do
    ((SECONDS < deadline)) || fail "apply did not reach offset $1 in 60 s: $(tail -3 "$WORK/apply.err")"
    sleep 0.01
  done
  running "$2" || fail "apply ended before offset $1: $(tail -3 "$WORK/apply.err")"
}
for ((k = 0; k < APPLY_KILLS; k++)); do
  before=$(replica_position)
  left=$((total - before))
  ((left > 4 * APPLY_KILLS)) || fail "only $left events left to apply at kill $k: the workload is too small"
  "$EVLOG" apply "$LOG" --to "postgres:$REPLICA" -g replica -f --batch 20 2>>"$WORK/apply.err" &
  applier=$!
  if ((k == APPLY_KILLS / 2)); then
    reach $((before + 1 + RANDOM % (left / 4))) "$applier"
    pg_restart fast
    apply_restarted=1
    wait_until 60 "apply stopping after the server's restart" bash -c "! kill -0 $applier 2>/dev/null"
    status=0
    wait "$applier" 2>/dev/null || status=$?
    ((status == 1)) || fail "apply exited with $status after the server's restart: $(tail -3 "$WORK/apply.err")"
    continue
  fi
  reach $((before + 1 + RANDOM % (left / APPLY_KILLS))) "$applier"
  kill -KILL "$applier" 2>/dev/null && apply_kills=$((apply_kills + 1))
  wait "$applier" 2>/dev/null || true
done
expect_status 0 evlog apply "$LOG" --to "postgres:$REPLICA" -g replica
echo "$SECONDS s: apply killed $apply_kills times, the server restarted under it once; final run: $(cat "$WORK/stderr")"
((apply_kills >= APPLY_KILLS / 2)) || fail "only $apply_kills applies were still running when killed"
pg_dump_ordered "$PG_CONNINFO" -T proof_commits >"$WORK/source.dump"
pg_dump_ordered "$REPLICA" -T proof_commits -T _evlog_apply >"$WORK/replica.dump"
grep -q '^COPY public.accounts' "$WORK/source.dump" || fail "the source's dump has no accounts"
cmp -s "$WORK/source.dump" "$WORK/replica.dump" ||
  fail "the replica differs from the source (seed $SEED): $(diff "$WORK/source.dump" "$WORK/replica.dump" | cut -c1-200 | head -10)"
assert_eq "$(event_count "$LOG")" "$("$PG_BIN/psql" -X -At -d "$REPLICA" -c "SELECT next_offset FROM _evlog_apply WHERE grp = 'replica'")" "the replica's position"
echo "$SECONDS s: PASS"
