# A throwaway PostgreSQL server for the tests of `evlog capture postgres` (issue 10).
# Source it after lib.sh, then call pg_start; the server stops by its PID when the test exits.
# After pg_start: PG_DIR (data and socket), PG_PORT, PG_CONNINFO (superuser `evlog`, database
# `postgres`, over the Unix socket) and PG_TCP_CONNINFO (the same over 127.0.0.1).
#
# The server refuses to run as root. As root, it runs as the `postgres` system user, which
# Debian's postgresql-common package (installed by scripts/install-deps) creates, so nothing
# needs to be created here; as any other user it runs as that user. PG_DIR lives in /tmp, not
# in lib.sh's WORK: WORK is root's private directory, which the server's user could not enter,
# and a Unix socket path must stay under about 100 bytes, which a long TMPDIR could exceed.
# Authentication is `trust` and the server listens on nothing but that socket and 127.0.0.1.

PG_BIN=
PG_DIR=
PG_PORT=
PG_CONNINFO=
PG_TCP_CONNINFO=
PG_RUN_AS=()

# Stops the server (fast shutdown, then SIGKILL if it lingers) and removes its directory.
pg_stop() {
  [[ -n "$PG_DIR" ]] || return 0
  local pid
  pid=$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)
  if [[ "$pid" =~ ^[0-9]+$ ]]; then
    stop_server "$pid" INT
  fi
  rm -rf "$PG_DIR"
  PG_DIR=
}
trap 'pg_stop; cleanup' EXIT

pg_fail() {
  echo "--- server log ($PG_DIR/server.log) ---" >&2
  cat "$PG_DIR/server.log" >&2 2>/dev/null || true
  fail "PostgreSQL test server: $*"
}

# The newest installed major version's binaries.
pg_find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -n "$dir" && -x "$dir/postgres" ]] || fail "no PostgreSQL server under /usr/lib/postgresql/*/bin (run scripts/install-deps)"
  PG_BIN=$dir
}

pg_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the server on PG_PORT and waits until it accepts connections; fails if that takes
# over 60 s; returns 1 if the server exits first.
pg_run_server() {
  "${PG_RUN_AS[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$PG_PORT" >>"$PG_DIR/server.log" 2>&1 &
  local pid=$! i
  for ((i = 0; i < 1200; i++)); do
    "$PG_BIN/pg_isready" -q -h "$PG_DIR" -p "$PG_PORT" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  pg_fail "not accepting connections within 60 s"
}

pg_start() {
  pg_find_bin
  PG_DIR=$(mktemp -d /tmp/evlog-pg.XXXXXX)
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 || fail "user postgres missing (installed with the postgresql package)"
    chown postgres: "$PG_DIR"
    # setpriv execs in place (runuser and su fork): the server's PID stays the one we started.
    PG_RUN_AS=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  fi
  "${PG_RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U evlog --auth=trust --no-sync \
    -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; fail "initdb failed"; }
  # fsync off: the tests prove evlog's durability, not the server's, and want speed.
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
logging_collector = off
# Fixed, so values of type timestamptz print the same on every machine.
timezone = 'UTC'
EOF
  # The free port may be taken by another test between our probe and the server's bind:
  # then a new port, a few times.
  local attempt
  for attempt in 1 2 3; do
    PG_PORT=$(pg_free_port)
    pg_run_server && break
    grep -q "could not bind" "$PG_DIR/server.log" && ((attempt < 3)) || pg_fail "the server exited during startup"
  done
  PG_CONNINFO="host=$PG_DIR port=$PG_PORT user=evlog dbname=postgres"
  PG_TCP_CONNINFO="host=127.0.0.1 port=$PG_PORT user=evlog dbname=postgres"
  export PG_CONNINFO PG_TCP_CONNINFO
}

# pg_shutdown: a fast shutdown by the server's PID, leaving its data directory (for a test
# that copies or replaces it before pg_run_server starts the server again).
pg_shutdown() {
  local pid i
  pid=$(head -1 "$PG_DIR/data/postmaster.pid")
  kill -INT "$pid"
  for ((i = 0; i < 6000; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  pg_fail "fast shutdown did not finish within 300 s"
}

# pg_restart fast|immediate: stops the server by its PID in that shutdown mode and starts it
# again on the same data directory and port. `immediate` is a crash as far as the data is
# concerned: the next start recovers from the WAL, and the slots' positions are the ones of
# the last checkpoint. A fast shutdown first lets each logical walsender send all the WAL
# it has not decoded yet and waits for its client to confirm it: a relay far behind delays
# it, and one that never confirms would make it hang, which fails here after 300 s.
pg_restart() {
  local signal pid i
  case $1 in
    fast) signal=INT ;;
    immediate) signal=QUIT ;;
    *) fail "pg_restart: fast or immediate, not [$1]" ;;
  esac
  pid=$(head -1 "$PG_DIR/data/postmaster.pid")
  kill -"$signal" "$pid"
  for ((i = 0; i < 6000; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && pg_fail "$1 shutdown did not finish within 300 s"
  echo "--- restart after $1 shutdown ---" >>"$PG_DIR/server.log"
  pg_run_server || pg_fail "the server did not start again after a $1 shutdown (port $PG_PORT taken?)"
}

# pg_dump_ordered CONNINFO [PG_DUMP_OPTION...]: the rows of a database as `pg_dump
# --data-only` writes them, each table's COPY lines sorted, without comments, blank lines
# and session settings: two databases holding the same rows in any physical order give the
# same text. PG_DUMP_OPTIONs select tables, e.g. -T proof_commits.
pg_dump_ordered() {
  local conninfo=$1
  shift
  "$PG_BIN/pg_dump" --data-only --no-owner --no-privileges -d "$conninfo" "$@" >"$WORK/pg_dump.out" ||
    fail "pg_dump of $conninfo failed"
  python3 -c '
import sys
rows = None
for line in open(sys.argv[1], encoding="utf-8", newline="\n"):
    if rows is not None:
        if line == "\\.\n":
            sys.stdout.write("".join(sorted(rows)) + line)
            rows = None
        else:
            rows.append(line)
    elif line.startswith("COPY "):
        sys.stdout.write(line)
        rows = []
    elif not (line.startswith(("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict ", "\\unrestrict "))
              or line == "\n"):
        sys.stdout.write(line)
' "$WORK/pg_dump.out"
}

# pg_sql SQL: runs SQL over the socket, prints rows unaligned without headers, fails on error.
pg_sql() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -d "$PG_CONNINFO" -c "$1" || fail "psql: $1"
}
