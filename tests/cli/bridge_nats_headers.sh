# evlog bridge and NATS JetStream (format-spec/bridge.md §B4): event headers and keys that a
# client library or the server would read as their own, against a real nats-server. Each must
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

# --- Nats-Msg-Id in another header. JetStream finds a message's id by searching the header
# block for the text Nats-Msg-Id, and only the first occurrence counts: one in a name, value
# or key that libnats happened to write before the real header hid the id, and the same
# events resent (a second group) were stored again, with a warning that blamed the order of
# publishing. Whether a header comes first depends on libnats's hash order: many events,
# and the dump checks that no header but the real one mentions the text at all.
for name in a b c d e f g h note x-ref trace; do
  printf 'p-%s\n' "$name" | evlog append "$WORK/msgid" -H "$name=see Nats-Msg-Id"
done
printf 'Nats-Msg-Id1:keyed\n' | evlog append "$WORK/msgid" -K :
printf 'named\n' | evlog append "$WORK/msgid" -H X-Nats-Msg-Id-Ref=1 -H other=x
printf 'lower case\n' | evlog append "$WORK/msgid" -H "a=nats-msg-id" -H b=c
printf 'plain\n' | evlog append "$WORK/msgid"
nats_tool stream "$NATS_URL" MSGID msgid.events
expect_status 0 evlog bridge "$WORK/msgid" --to "$NATS_URL/msgid.events" -g first
expect_status 0 evlog bridge "$WORK/msgid" --to "$NATS_URL/msgid.events" -g second
assert_contains "$(cat "$WORK/stderr")" "relayed 15 events" "the second group's relay (every event resent)"
[[ "$(cat "$WORK/stderr")" != *warning* ]] || fail "a warning on resending: $(cat "$WORK/stderr")"
assert_eq "$(seq 0 14)" "$(stream_offsets MSGID "$WORK/msgid")" "offsets in the stream after resending (each once)"
assert_eq "" "$(nats_tool dump "$NATS_URL" MSGID | python3 -c 'import json, sys
for line in sys.stdin:
    for name, values in json.loads(line)["headers"].items():
        texts = values if name == "Nats-Msg-Id" else [name] + values
        if any("nats-msg-id" in t.lower() for t in texts): print(name, values)')" \
  "headers other than Nats-Msg-Id that mention it"
expect_status 0 timeout 60 "$EVLOG" bridge "$WORK/msgid-copy" --from "$NATS_URL/MSGID" -g copy
assert_eq "$(export_without_offsets "$WORK/msgid")" "$(export_without_offsets "$WORK/msgid-copy")" \
  "round trip of events that mention Nats-Msg-Id"

nats_server_stop
echo "bridge_nats_headers: ok"
