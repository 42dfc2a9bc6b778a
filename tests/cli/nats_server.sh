# nats_server_lib.sh: a JetStream server on 127.0.0.1 that starts, answers, restarts on the
# same port and store, and stops by PID. Debian ships no NATS command-line client, so the
# check speaks the protocol over bash's /dev/tcp: the greeting, then a JetStream API request.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nats_server_lib.sh"

# $JS.API.INFO answers with the account's JetStream usage, only if JetStream runs.
jetstream_account_info() {
  local fd line reply=
  exec {fd}<>"/dev/tcp/127.0.0.1/$NATS_PORT"
  read -r -t 10 line <&"$fd"
  printf 'CONNECT {"verbose":false}\r\nSUB reply.1 1\r\nPUB $JS.API.INFO reply.1 0\r\n\r\n' >&"$fd"
  while read -r -t 10 line <&"$fd"; do
    if [[ "$line" == MSG* ]]; then read -r -t 10 reply <&"$fd"; break; fi
  done
  exec {fd}>&-
  printf '%s\n' "$reply"
}

nats_server_start
assert_contains "$(jetstream_account_info)" 'account_info_response' "JetStream API reply"
[[ -d "$NATS_DIR/store/jetstream" ]] || fail "JetStream store not in the test's directory"
first_port=$NATS_PORT
pid=$NATS_PID
nats_server_stop
kill -0 "$pid" 2>/dev/null && fail "nats-server $pid still running after stop"
nats_server_start "$first_port"
assert_eq "$first_port" "$NATS_PORT" "port after a restart"
assert_contains "$(jetstream_account_info)" 'account_info_response' "JetStream API reply after a restart"
nats_server_stop
echo "nats_server: ok"
