# evlog bridge --from NATS JetStream when the connection drops with messages in flight
# (format-spec/bridge.md §B4): the server counts them delivered, so acknowledging a later
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
nats_tool() { timeout 60 "$TOOL" "$@"; }
export_without_offsets() { evlog export "$1" | sed -E 's/"offset":[0-9]+,//'; }

# relay_through_cut NAME CUT_BYTES: relays $WORK/NAME (already in stream NAME) back into
# $WORK/NAME.copy through a proxy that cuts the first connection after CUT_BYTES, and checks
# the copy against the original.
relay_through_cut() {
  local name=$1 cut=$2 proxy port_file="$WORK/$1.proxy_port"
  python3 "$(dirname "$0")/cut_proxy.py" "$NATS_PORT" "$cut" "$port_file" >"$WORK/$name.proxy" 2>&1 &
  proxy=$!
  BACKGROUND_PIDS+=("$proxy")
  wait_until 30 "the proxy listening" test -s "$port_file"
  expect_status 0 evlog bridge "$WORK/$name.copy" --from "nats://127.0.0.1:$(cat "$port_file")/$name" -g copy
  cp "$WORK/stderr" "$WORK/$name.stderr"
  kill "$proxy"
  wait "$proxy" 2>/dev/null || true
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

nats_server_stop
echo "bridge_nats_cut: ok"
