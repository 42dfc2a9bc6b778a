# A fast shutdown of the source server (pg_ctl's default) finishes while `capture postgres
# -f` streams from it, also when the WAL ends with something that publishes nothing (a
# rollback, a change to an unpublished table): at shutdown each walsender waits until its
# client confirms all the WAL it sent, so the relay confirms WAL past its last transaction
# once it holds nothing unflushed. Nothing is skipped for that: the rows committed after
# the restart are captured too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

pg_start
LOG=$WORK/log
pg_sql "CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE other (id int)"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s --create-slot -t t

n=0
for last in "BEGIN; INSERT INTO t VALUES (0); ROLLBACK" "INSERT INTO other VALUES (1)"; do
  n=$((n + 1))
  pg_sql "INSERT INTO t VALUES ($n)"
  pg_sql "$last"
  "$EVLOG" capture postgres "$PG_CONNINFO" "$LOG" --slot s -f 2>"$WORK/relay.err" &
  relay=$!
  BACKGROUND_PIDS+=("$relay")
  wait_until 30 "row $n captured" bash -c "[[ \$('$EVLOG' tail '$LOG' --from beginning | wc -l) == $n ]]"
  # Without that confirmation this hangs until pg_restart gives up.
  pg_restart fast
  status=0
  wait "$relay" 2>/dev/null || status=$?
  assert_eq 1 "$status" "the relay's exit status once its server stopped ($(cat "$WORK/relay.err"))"
done
pg_sql "INSERT INTO t VALUES (10)"
expect_status 0 evlog capture postgres "$PG_CONNINFO" "$LOG" --slot s
assert_eq "$(printf '1\n2\n10')" "$(evlog tail "$LOG" --from beginning | python3 -c 'import json, sys; [print(json.loads(l)["after"]["id"]) for l in sys.stdin]')" "rows in the log"
echo ok
