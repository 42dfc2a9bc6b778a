# `evlog apply --to postgres` and the target's session (found by a review of apply): the
# user's own `options` (a search_path) and PGOPTIONS are kept beside evlog's, and the
# position table is created only where none is visible through the search_path, so that a
# schema created ahead of it later does not hide it (every event was applied again).
source "$(dirname "$0")/apply_lib.sh"
source "$(dirname "$0")/pg_lib.sh"

pg_start
pg_sql "CREATE DATABASE dst"
DST="host=$PG_DIR port=$PG_PORT user=evlog dbname=dst"
dst_sql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -d "$DST" -c "$1" || fail "psql (dst): $1"; }
dst_sql "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY, v text); CREATE TABLE public.t (id int PRIMARY KEY, v text)"

LOG=$WORK/log
insert t '{"id":1}' '{"id":1,"v":"one"}' | evlog append "$LOG"

# options=-csearch_path=app in the conninfo: the bare table name and the position table
# follow it.
evlog apply "$LOG" --to "postgres:$DST options=-csearch_path=app" -g g 2>"$WORK/stderr" ||
  fail "apply with options: $(cat "$WORK/stderr")"
assert_eq "1|one" "$(dst_sql 'SELECT * FROM app.t')" "rows in the schema of the conninfo's search_path"
assert_eq "" "$(dst_sql 'SELECT * FROM public.t')" "nothing in public"
assert_eq "app" "$(dst_sql "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = '_evlog_apply'")" \
  "the position table follows the search_path"

# PGOPTIONS likewise, for a second group.
PGOPTIONS=-csearch_path=app evlog apply "$LOG" --to "postgres:$DST" -g g2 2>"$WORK/stderr" ||
  fail "apply with PGOPTIONS: $(cat "$WORK/stderr")"
assert_eq "1" "$(dst_sql "SELECT next_offset FROM app._evlog_apply WHERE grp = 'g2'")" "PGOPTIONS kept"

# A table in public, then a schema named after the user created ahead of it in the default
# search_path ("$user", public): the next run finds public._evlog_apply and applies only
# what is new.
dst_sql "DROP SCHEMA app CASCADE"
evlog apply "$LOG" --to "postgres:$DST" -g g3 2>"$WORK/stderr" || fail "apply into public: $(cat "$WORK/stderr")"
dst_sql "CREATE SCHEMA AUTHORIZATION evlog"
update t '{"id":1}' '{"id":1,"v":"one"}' '{"id":1,"v":"ONE"}' | evlog append "$LOG"
dst_sql "CREATE TABLE public.applied (v text); CREATE FUNCTION public.count_it() RETURNS trigger LANGUAGE plpgsql AS
  \$\$BEGIN INSERT INTO public.applied VALUES (NEW.v); RETURN NEW; END\$\$;
  CREATE TRIGGER counted BEFORE INSERT OR UPDATE ON public.t FOR EACH ROW EXECUTE FUNCTION public.count_it()"
evlog apply "$LOG" --to "postgres:$DST" -g g3 2>"$WORK/stderr" || fail "apply after CREATE SCHEMA: $(cat "$WORK/stderr")"
assert_eq "ONE" "$(dst_sql 'SELECT v FROM public.applied')" "only the new event applied"
assert_eq "" "$(dst_sql "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = '_evlog_apply' AND n.nspname = 'evlog'")" \
  "no second position table in the new schema"

# A change to evlog's own position table is never applied.
delete public._evlog_apply '{"grp":"g3"}' '{"grp":"g3","log_id":"x","next_offset":0}' >"$WORK/own"
evlog append "$WORK/own.log" <"$WORK/own"
expect_status 1 evlog apply "$WORK/own.log" --to "postgres:$DST" -g own
assert_contains "$(cat "$WORK/stderr")" "is evlog's own position table" "a change to _evlog_apply"
assert_eq 2 "$(dst_sql "SELECT next_offset FROM public._evlog_apply WHERE grp = 'g3'")" "g3 after a change to _evlog_apply"
echo PASS
