# The PostgreSQL test server of pg_lib.sh starts, serves SQL over its socket and over TCP,
# and has logical decoding on, which every `capture postgres` test relies on.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

pg_start
pg_sql "CREATE TABLE t (id int PRIMARY KEY, name text)"
pg_sql "INSERT INTO t VALUES (1, 'one')"
assert_eq "1|one" "$(pg_sql "SELECT id, name FROM t")" "row read back over the socket"
assert_eq "one" "$("$PG_BIN/psql" -X -At -d "$PG_TCP_CONNINFO" -c "SELECT name FROM t WHERE id = 1")" "row read back over TCP"
assert_eq "logical" "$(pg_sql "SHOW wal_level")" "wal_level"
assert_eq "10" "$(pg_sql "SHOW max_replication_slots")" "max_replication_slots"
# Listens nowhere but 127.0.0.1 and its socket.
assert_eq "127.0.0.1" "$(pg_sql "SHOW listen_addresses")" "listen_addresses"
assert_eq "$PG_PORT" "$(pg_sql "SHOW port")" "port"

# pg_stop stops the server by its PID and removes its directory.
pid=$(head -1 "$PG_DIR/data/postmaster.pid")
dir=$PG_DIR
pg_stop
kill -0 "$pid" 2>/dev/null && fail "server $pid still running after pg_stop"
[[ ! -e "$dir" ]] || fail "$dir left behind"
echo "ok"
