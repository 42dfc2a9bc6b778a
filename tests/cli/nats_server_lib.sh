# A throwaway nats-server with JetStream for the `evlog bridge` tests (issue 12). Source it
# after lib.sh. nats_server_start [PORT] starts it on 127.0.0.1 (a port the server picks
# itself when none is given, so no other test can take it between a probe and the bind),
# its store in the test's WORK, and waits until it answers a client; it sets NATS_PORT,
# NATS_URL, NATS_PID, NATS_DIR. nats_server_stop stops it by PID (SIGTERM, then SIGKILL if it
# lingers); nats_server_start "$NATS_PORT" afterwards restarts it on the same port and store.

NATS_PORT=
NATS_URL=
NATS_SERVER_ARGS=()  # more nats-server arguments (credentials), set before nats_server_start
NATS_PID=
NATS_DIR=

nats_server_start() {
  local port=${1:--1}
  [[ -n "$NATS_DIR" ]] || NATS_DIR=$(mktemp -d "$WORK/nats.XXXXXX")
  : >"$NATS_DIR/server.log"
  nats-server -a 127.0.0.1 -p "$port" -js -sd "$NATS_DIR/store" "${NATS_SERVER_ARGS[@]}" >>"$NATS_DIR/server.log" 2>&1 &
  NATS_PID=$!
  BACKGROUND_PIDS+=("$NATS_PID")
  local i
  NATS_PORT=
  for ((i = 0; i < 600; i++)); do
    kill -0 "$NATS_PID" 2>/dev/null || fail "nats-server exited early: $(tail -5 "$NATS_DIR/server.log")"
    if grep -q 'Server is ready' "$NATS_DIR/server.log"; then
      NATS_PORT=$(grep -o 'client connections on 127\.0\.0\.1:[0-9]*' "$NATS_DIR/server.log" | grep -o '[0-9]*$')
      break
    fi
    sleep 0.05
  done
  [[ -n "$NATS_PORT" ]] || fail "nats-server not ready within 30 s: $(tail -5 "$NATS_DIR/server.log")"
  NATS_URL="nats://127.0.0.1:$NATS_PORT"
  [[ "$(nats_server_info)" == *'"jetstream":true'* ]] || fail "nats-server on $NATS_PORT: no JetStream in its INFO"
}

# The INFO line the server greets every client with (a TCP check, with no client library).
nats_server_info() {
  local fd line
  exec {fd}<>"/dev/tcp/127.0.0.1/$NATS_PORT" || return 1
  read -r -t 10 line <&"$fd" || true
  exec {fd}>&-
  printf '%s\n' "$line"
}

nats_server_stop() {
  [[ -n "$NATS_PID" ]] || return 0
  stop_server "$NATS_PID" TERM
  wait "$NATS_PID" 2>/dev/null || true
  NATS_PID=
}
