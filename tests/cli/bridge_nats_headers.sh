# evlog bridge and NATS JetStream (format-spec/bridge.md §B4): event headers that a client
# library or the server would read as their own, against a real nats-server. Each must
# travel in base64 and come back exactly, through the bridge and through any other client.
# Usage: bridge_nats_headers.sh PATH/TO/evlog PATH/TO/evlog_nats_tool
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nats_server_lib.sh"
TOOL=${2:?usage: $0 PATH/TO/evlog PATH/TO/evlog_nats_tool}
source "$(dirname "$0")/nats_stream_lib.sh"
# `evlog export` without offsets: what a round trip must preserve.
export_without_offsets() { evlog export "$1" | sed -E 's/"offset":[0-9]+,//'; }

nats_server_start

# --- Status and Description. libnats's pull fetch (and nats.go's) takes a message with an
# empty payload and a header named Status for a JetStream status message ("404 No
# Messages") and drops it, Description being that status's text; the server counts it
# delivered all the same. Sent as a plain header, such an event never reached a pull
# consumer, and `--from` saw a gap in the deliveries, blamed the connection and recreated
# its consumer for it without end. Both names, in any case, go in base64.
printf 'before\n' | evlog append "$WORK/status"
printf '' | evlog append "$WORK/status" --raw -H Status=shipped
printf '' | evlog append "$WORK/status" --raw -H status=404
printf '' | evlog append "$WORK/status" --raw -H Description=why -H X=y
printf 'with a payload\n' | evlog append "$WORK/status" -H Status=shipped
printf 'after\n' | evlog append "$WORK/status"
nats_tool stream "$NATS_URL" STATUS status.events
expect_status 0 evlog bridge "$WORK/status" --to "$NATS_URL/status.events" -g relay
assert_contains "$(cat "$WORK/stderr")" "relayed 6 events" "summary"
# The dump fetches through libnats as any pull consumer does: every message arrives.
assert_eq "$(seq 0 5)" "$(stream_offsets STATUS "$WORK/status")" "offsets a pull consumer receives"
assert_eq "" "$(nats_tool dump "$NATS_URL" STATUS | python3 -c 'import json, sys
for line in sys.stdin:
    names = [n for n in json.loads(line)["headers"] if n.lower() in ("status", "description")]
    if names: print(names)')" "headers named Status or Description in the stream"
# (bounded: before the fix the run recreated its consumer for ever)
expect_status 0 timeout 60 "$EVLOG" bridge "$WORK/status-copy" --from "$NATS_URL/STATUS" -g copy
assert_contains "$(cat "$WORK/stderr")" "appended 6 events" "summary of --from"
assert_eq "$(export_without_offsets "$WORK/status")" "$(export_without_offsets "$WORK/status-copy")" \
  "round trip of events with Status and Description headers"

nats_server_stop
echo "bridge_nats_headers: ok"
