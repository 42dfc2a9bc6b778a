# Issue 8's proof, end to end, with real processes: an application commits 20,000 random
# transactions (about one in ten rolled back) while `capture -f` relays them and is
# SIGKILLed and restarted at random moments; then `apply`, also killed and restarted,
# rebuilds a second database from the log. Afterwards the log holds exactly one event per
# committed row change, in commit order, and none from a rolled-back transaction; the two
# databases hold the same rows. The same through a migration: export an archive, import it
# into a fresh log, apply into an empty database.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
TRANSACTIONS=${EVLOG_E2E_TRANSACTIONS:-20000}
RANDOM=8  # the kill moments are random, but the same from run to run

SRC=$WORK/app.db LOG=$WORK/log
sqlite3 "$SRC" "PRAGMA journal_mode=WAL;
  CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT, balance REAL, blob BLOB, big INTEGER, anything);
  CREATE TABLE notes (body TEXT, n INTEGER);" >/dev/null
evlog capture sqlite "$SRC" --install -t accounts -t notes

python3 "$HERE/sqlite_app.py" "$SRC" "$TRANSACTIONS" 42 "$WORK/journal" &
app=$!
BACKGROUND_PIDS+=("$app")

# random_sleep MIN_MS SPREAD_MS
random_sleep() { sleep "$(printf '0.%03d' $(( $1 + RANDOM % $2 )))"; }

# kill_after PID MIN_MS SPREAD_MS: SIGKILL after a random pause; true if that killed it.
kill_after() {
  local status=0
  random_sleep "$2" "$3"
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || status=$?
  ((status == 137))
}

kills=0
while kill -0 "$app" 2>/dev/null || ((kills < 20)); do
  "$EVLOG" capture sqlite "$SRC" "$LOG" -f 2>>"$WORK/capture.err" &
  if kill_after $! 40 200; then kills=$((kills + 1)); fi
done
wait "$app" || fail "the application failed"
evlog capture sqlite "$SRC" "$LOG" 2>>"$WORK/capture.err" || fail "the last relay failed: $(tail -3 "$WORK/capture.err")"
echo "capture killed $kills times"
assert_eq 0 "$(sqlite3 "$SRC" 'SELECT count(*) FROM _evlog_outbox')" "outbox after the last relay"

# Exactly one event per committed change, in commit order: the application's journal.
evlog tail "$LOG" --from beginning --json | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    env = json.loads(e["payload"])
    print(env["table"], env["op"], next(iter(env["key"].values())))
' >"$WORK/relayed"
assert_eq "$(wc -l <"$WORK/journal")" "$(wc -l <"$WORK/relayed")" "events in the log against committed changes"
cmp -s "$WORK/journal" "$WORK/relayed" || fail "the log's changes differ from the committed ones: $(diff "$WORK/journal" "$WORK/relayed" | head -5)"

# dump DB: the application's tables, row by row, every value with its storage class.
dump() {
  sqlite3 "$1" "SELECT 'a', id, typeof(name), quote(name), quote(balance), quote(blob), quote(big), quote(anything)
                  FROM accounts ORDER BY id;
                SELECT 'n', rowid, quote(body), quote(n) FROM notes ORDER BY rowid;"
}
# empty_target PATH: the application's schema, as its own migration would create it.
empty_target() {
  sqlite3 "$1" "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT, balance REAL, blob BLOB, big INTEGER, anything);
                CREATE TABLE notes (body TEXT, n INTEGER);"
}

DST=$WORK/replica.db
empty_target "$DST"
# Each apply is killed a few ms after its first commit is visible in the target, so that
# every kill lands in the middle of its work, never before it started. Runs of one event
# (a commit each) keep each apply busy long enough: with runs of 500, or even 20, on a
# loaded machine the first apply the polling noticed late could finish the whole log, and
# too few kills landed.
position() { sqlite3 "$DST" "SELECT coalesce((SELECT next_offset FROM _evlog_apply), 0)" 2>/dev/null || echo 0; }
apply_kills=0
for ((i = 0; i < 10; i++)); do
  before=$(position)
  "$EVLOG" apply "$LOG" --to "sqlite:$DST" -g replica --batch 1 2>>"$WORK/apply.err" &
  applier=$!
  while kill -0 "$applier" 2>/dev/null && [[ "$(position)" == "$before" ]]; do sleep 0.005; done
  if kill_after "$applier" 1 20; then apply_kills=$((apply_kills + 1)); fi
done
echo "apply killed $apply_kills times after a commit, position $(position) of $(evlog stat "$LOG" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_offset"])')"
((apply_kills >= 5)) || fail "apply finished before it could be killed: only $apply_kills kills landed"
evlog apply "$LOG" --to "sqlite:$DST" -g replica 2>>"$WORK/apply.err" || fail "the last apply failed: $(tail -3 "$WORK/apply.err")"
dump "$SRC" >"$WORK/source.dump"
dump "$DST" >"$WORK/replica.dump"
[[ -s "$WORK/source.dump" ]] || fail "the application left no rows"
cmp -s "$WORK/source.dump" "$WORK/replica.dump" || fail "the replica differs: $(diff "$WORK/source.dump" "$WORK/replica.dump" | head -5)"

# The migration: archive, import into a fresh log, apply into an empty database.
evlog export "$LOG" --format archive -o "$WORK/app.evlog"
evlog import "$WORK/migrated" "$WORK/app.evlog"
MIGRATED=$WORK/migrated.db
empty_target "$MIGRATED"
evlog apply "$WORK/migrated" --to "sqlite:$MIGRATED" -g replica 2>>"$WORK/apply.err"
dump "$MIGRATED" >"$WORK/migrated.dump"
cmp -s "$WORK/source.dump" "$WORK/migrated.dump" || fail "the migrated database differs"
echo PASS
