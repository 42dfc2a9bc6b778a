# evlog bridge to and from NATS JetStream when the connection drops with messages in flight
# (format-spec/bridge.md §B4).
# --to: publishes sent and not acknowledged are lost with the connection while the server
# stays up; the bridge must resend them before anything newer, so that the stream holds
# every event once, in the log's order. (libnats keeps one message published while it
# reconnects, whatever its reconnect buffer size, and sends it first on the new connection:
# the stream held that event before the lost ones until the bridge stopped letting libnats
# reconnect for it.)
# --from: the server counts messages in flight delivered, so acknowledging a later
# message would acknowledge them unread. A proxy (cut_proxy.py) cuts the bridge's first
# connection after a set number of bytes from the server; the bridge reconnects through it
# and, without -f, must end with every message of the stream in its log once, in order:
#   - cut in the middle of the stream: later messages arrive after the lost ones;
#   - cut in the stream's last fetch: nothing arrives after the lost ones, and the consumer
#     has nothing left to deliver, yet the bridge is not caught up.
# Usage: bridge_nats_cut.sh PATH/TO/evlog PATH/TO/evlog_nats_tool
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nats_server_lib.sh"
TOOL=${2:?usage: $0 PATH/TO/evlog PATH/TO/evlog_nats_tool}
JS_REPLY_SHIM=${EVLOG_JS_REPLY_SHIM:?set by ctest: the crash_at_js_reply shim}
source "$(dirname "$0")/nats_stream_lib.sh"
export_without_offsets() { evlog export "$1" | sed -E 's/"offset":[0-9]+,//'; }

# start_cut_proxy NAME CUT_BYTES: a proxy to the server that cuts its first connection after
# CUT_BYTES from the server; sets PROXY (its PID) and PROXY_PORT.
start_cut_proxy() {
  local port_file="$WORK/$1.proxy_port"
  python3 "$(dirname "$0")/cut_proxy.py" "$NATS_PORT" "$2" "$port_file" >"$WORK/$1.proxy" 2>&1 &
  PROXY=$!
  BACKGROUND_PIDS+=("$PROXY")
  wait_until 30 "the proxy listening" test -s "$port_file"
  PROXY_PORT=$(cat "$port_file")
}

# relay_through_cut NAME CUT_BYTES: relays $WORK/NAME (already in stream NAME) back into
# $WORK/NAME.copy through a proxy that cuts the first connection after CUT_BYTES, and checks
# the copy against the original.
relay_through_cut() {
  local name=$1 cut=$2
  start_cut_proxy "$name" "$cut"
  expect_status 0 evlog bridge "$WORK/$name.copy" --from "nats://127.0.0.1:$PROXY_PORT/$name" -g copy
  cp "$WORK/stderr" "$WORK/$name.stderr"
  kill "$PROXY"
  wait "$PROXY" 2>/dev/null || true
  assert_contains "$(cat "$WORK/$name.proxy")" "cut after $cut bytes" "$name: the proxy cut the connection"
  export_without_offsets "$WORK/$name" >"$WORK/$name.expected"
  export_without_offsets "$WORK/$name.copy" >"$WORK/$name.actual"
  if ! cmp -s "$WORK/$name.expected" "$WORK/$name.actual"; then
    { diff "$WORK/$name.expected" "$WORK/$name.actual" || true; } | head -5
    fail "$name: the log differs from the stream ($(wc -l <"$WORK/$name.expected") events expected," \
      "$(wc -l <"$WORK/$name.actual") appended); the bridge said: $(cat "$WORK/$name.stderr")"
  fi
  # The proof that the cut lost deliveries, not only bytes between two fetches.
  assert_contains "$(cat "$WORK/$name.stderr")" "some lost with a connection" "$name: the restart"
  sed "s/^/$name: /" "$WORK/$name.stderr"
}

# make_stream NAME COUNT PAD: a log of COUNT events "NAME-I-" followed by PAD x's, relayed
# into the new stream NAME.
make_stream() {
  python3 -c 'import sys
name, count, pad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count): print(f"{name}-{i}-" + "x" * pad)' "$1" "$2" "$3" | evlog append "$WORK/$1"
  nats_tool stream "$NATS_URL" "$1" "$1.events"
  expect_status 0 evlog bridge "$WORK/$1" --to "$NATS_URL/$1.events" -g relay
}

nats_server_start

# About 300 bytes a message on the wire, 1024 messages a fetch: the cut falls in the fourth
# fetch, and the messages after it come with the fetches that follow the reconnection.
make_stream MIDDLE 20000 0
relay_through_cut MIDDLE 1000000

# About 1.3 KB a message: the first fetch is about 1.3 MB, the second (the last 476) about
# 0.6 MB; the cut falls in the middle of the second.
make_stream TAIL 1500 1000
relay_through_cut TAIL 1600000

# --from, killed right after each JetStream API reply in turn, in a run whose connection is
# cut so that it recreates its consumer, then run again to the end: the copy holds the
# stream once. One of the kills falls after the consumer's delete and before its add; the
# run after it must start where the killed one stopped (the restart marker), where it used
# to get a new consumer and the whole stream again.
make_stream CRASH 3000 300
export_without_offsets "$WORK/CRASH" >"$WORK/CRASH.expected"
between=0
for ((n = 1; ; n++)); do
  ((n <= 40)) || fail "the bridge made more than 40 JetStream requests"
  start_cut_proxy "CRASH$n" 700000
  status=0
  EVLOG_CRASH_AT_JS_REPLY=$n LD_PRELOAD=$JS_REPLY_SHIM ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    "$EVLOG" bridge "$WORK/CRASH.copy$n" --from "nats://127.0.0.1:$PROXY_PORT/CRASH" -g crash$n 2>"$WORK/crash.stderr" ||
    status=$?
  kill "$PROXY"
  wait "$PROXY" 2>/dev/null || true
  ((status == 0)) && break  # past its last request
  assert_eq 137 "$status" "bridge killed after JetStream reply $n ($(cat "$WORK/crash.stderr"))"
  expect_status 0 evlog bridge "$WORK/CRASH.copy$n" --from "$NATS_URL/CRASH" -g crash$n
  [[ $(cat "$WORK/stderr") != *"was being recreated when a run stopped"* ]] || between=$((between + 1))
  export_without_offsets "$WORK/CRASH.copy$n" >"$WORK/CRASH.actual"
  cmp -s "$WORK/CRASH.expected" "$WORK/CRASH.actual" ||
    fail "killed after JetStream reply $n: the copy has $(wc -l <"$WORK/CRASH.actual") events for" \
      "$(wc -l <"$WORK/CRASH.expected") in the stream; the run after said: $(cat "$WORK/stderr")"
done
((between >= 1)) || fail "no kill fell between the consumer's delete and its add ($n replies)"
echo "CRASH: killed after each of $((n - 1)) JetStream replies; $between between a delete and an add"

# --to, cut after about 4,000 of 20,000 acknowledgements (each about 100 bytes): thousands
# of publishes are in flight, and the bridge goes on publishing until it sees the loss.
# Five rounds, since where the cut falls among the publishes varies from run to run.
for round in 1 2 3 4 5; do
  name=OUT$round
  seq 0 19999 | sed 's/^/out-/' | evlog append "$WORK/$name"
  nats_tool stream "$NATS_URL" "$name" "$name.events"
  start_cut_proxy "$name" 400000
  expect_status 0 evlog bridge "$WORK/$name" --to "nats://127.0.0.1:$PROXY_PORT/$name.events" -g relay
  cp "$WORK/stderr" "$WORK/$name.stderr"
  kill "$PROXY"
  wait "$PROXY" 2>/dev/null || true
  assert_contains "$(cat "$WORK/$name.proxy")" "cut after" "$name: the proxy cut the connection"
  assert_contains "$(cat "$WORK/$name.stderr")" "resending from offset" "$name: the resend after the cut"
  assert_stream_offsets "$name" "$WORK/$name" 20000 "$name: the stream after a cut" "$WORK/$name.stderr"
  assert_eq 20000 "$(group_position "$WORK/$name" relay)" "$name: the group after the relay"
  sed "s/^/$name: /" "$WORK/$name.stderr"
done

nats_server_stop
echo "bridge_nats_cut: ok"
