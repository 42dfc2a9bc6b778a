# evlog bridge to and from NATS JetStream (issue 12, format-spec/bridge.md §B4) against a real
# nats-server: the mapping of keys, headers and payloads, Nats-Msg-Id and order; exactly once
# into the stream across a SIGKILL of the bridge and a restart of the server; the group acked
# as far as the stream confirmed; the round trip log -> JetStream -> log.
# Usage: bridge_nats.sh PATH/TO/evlog PATH/TO/evlog_nats_tool
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nats_server_lib.sh"
TOOL=${2:?usage: $0 PATH/TO/evlog PATH/TO/evlog_nats_tool}
CLOSE_SHIM=${EVLOG_NATS_CLOSE_SHIM:?set by ctest: the close_before_first_publish shim}
source "$(dirname "$0")/nats_stream_lib.sh"
# `evlog export` without offsets: what a round trip must preserve.
export_without_offsets() { evlog export "$1" | sed -E 's/"offset":[0-9]+,//'; }

nats_server_start

# --- the mapping: keys missing, empty, text, binary; binary payloads; headers of every kind.
python3 - >"$WORK/input.jsonl" <<'PY'
import base64, json
b = lambda raw: base64.b64encode(raw).decode()
events = [
    {"payload": "no key"},
    {"key": "", "payload": "empty key"},
    {"key": "plain", "payload": "text key", "headers": {"source": "web"}},
    {"key": b(b"\x00\xff\r\nk"), "key_encoding": "base64", "payload": b(b"\x00\x01bin\xfe\r\n"), "payload_encoding": "base64"},
    {"key": " spaced ", "payload": "", "headers_all": ["b", "2", "a", "1", "b", "3"]},
    {"key": "k", "payload": "reserved and odd names",
     "headers_all": ["Nats-Rollup", "all", "evlog.other", "x", "with space", " v ", "empty-value", "", "nl", "a\r\nb"]},
    {"key": "k2", "payload": "binary header", "headers_encoding": "base64",
     "headers_all": [b(b"\x01n"), b(b"\xff\x00"), b(b""), b(b"empty name")]},
]
for e in events:
    print(json.dumps(e))
PY
evlog append --json "$WORK/src" <"$WORK/input.jsonl"
nats_tool stream "$NATS_URL" ORDERS orders.events
expect_status 0 evlog bridge "$WORK/src" --to "$NATS_URL/orders.events" -g relay
assert_contains "$(cat "$WORK/stderr")" "relayed 7 events (offsets 0..6)" "summary"
assert_eq 7 "$(group_position "$WORK/src" relay)" "group after the relay"
src_id=$(log_id "$WORK/src")
assert_eq "$(seq 0 6)" "$(stream_offsets ORDERS "$WORK/src")" "offsets in the stream"
nats_tool dump "$NATS_URL" ORDERS >"$WORK/dump.jsonl"
python3 - "$WORK/dump.jsonl" <<'PY' || fail "NATS messages do not follow format-spec/bridge.md §B4"
import base64, json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
h = [m["headers"] for m in msgs]
data = [base64.b64decode(m["data"]) for m in msgs]
def own(i):  # the headers that are not the bridge's or the server's
    return {k: v for k, v in h[i].items() if not k.startswith("evlog.") and k != "Nats-Msg-Id"}
assert all(m["subject"] == "orders.events" for m in msgs)
assert not any(k.startswith("evlog.key") for k in h[0]), h[0]
assert h[1]["evlog.key-empty"] == ["true"], h[1]
assert h[2]["evlog.key"] == ["plain"] and own(2) == {"source": ["web"]}, h[2]
assert "evlog.header-order" not in h[2], h[2]
assert base64.b64decode(h[3]["evlog.key-base64"][0]) == b"\x00\xff\r\nk", h[3]
assert data[3] == b"\x00\x01bin\xfe\r\n", data[3]
assert base64.b64decode(h[4]["evlog.key-base64"][0]) == b" spaced ", h[4]
assert own(4) == {"b": ["2", "3"], "a": ["1"]} and h[4]["evlog.header-order"] == ["b a b"], h[4]
assert data[4] == b""
assert own(5) == {} and "Nats-Rollup" not in h[5], h[5]
pairs = [tuple(base64.b64decode(x) for x in v.split(",")) for v in h[5]["evlog.header-base64"]]
assert pairs == [(b"Nats-Rollup", b"all"), (b"evlog.other", b"x"), (b"with space", b" v "), (b"empty-value", b""), (b"nl", b"a\r\nb")], pairs
assert h[5]["evlog.offset"] == ["5"] and "evlog.header-order" not in h[5], h[5]
pairs = [tuple(base64.b64decode(x) for x in v.split(",")) for v in h[6]["evlog.header-base64"]]
assert pairs == [(b"\x01n", b"\xff\x00"), (b"", b"empty name")], pairs
for i, m in enumerate(msgs):
    assert h[i]["evlog.offset"] == [str(i)] and h[i]["evlog.timestamp"][0].isdigit(), h[i]
PY

# A second run has nothing to relay and sends nothing.
expect_status 0 evlog bridge "$WORK/src" --to "$NATS_URL/orders.events" -g relay
assert_contains "$(cat "$WORK/stderr")" "nothing to relay" "second run"
assert_eq 7 "$(stream_count ORDERS)" "messages after a second run"
# A group behind the stream (a crash before its ack) resends: JetStream drops the copies.
evlog groups "$WORK/src" -g relay --reset-to 2 --execute >/dev/null
expect_status 0 evlog bridge "$WORK/src" --to "$NATS_URL/orders.events" -g relay
assert_contains "$(cat "$WORK/stderr")" "relayed 5 events" "resent after a reset"
assert_eq "$(seq 0 6)" "$(stream_offsets ORDERS "$WORK/src")" "offsets after resending (duplicates dropped)"

# --- the reverse: JetStream -> a new log, then nothing new; the round trip keeps export.
expect_status 0 evlog bridge "$WORK/copy" --from "$NATS_URL/ORDERS" -g copy
assert_contains "$(cat "$WORK/stderr")" "appended 7 events" "summary of --from"
assert_eq "$(export_without_offsets "$WORK/src")" "$(export_without_offsets "$WORK/copy")" "round trip"
expect_status 0 evlog bridge "$WORK/copy" --from "$NATS_URL/ORDERS" -g copy
assert_contains "$(cat "$WORK/stderr")" "nothing new" "second --from run"
assert_eq 7 "$(evlog stat --json "$WORK/copy" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')" "events after a second --from run"

# A consumer named like a restart marker (DURABLE_evlog_restart) that is not the bridge's:
# the bridge neither starts from it nor deletes it.
nats_tool consumer "$NATS_URL" ORDERS mine_evlog_restart 5
expect_status 0 evlog bridge "$WORK/mine" --from "$NATS_URL/ORDERS" -g mine
assert_eq "$(export_without_offsets "$WORK/src")" "$(export_without_offsets "$WORK/mine")" \
  "a copy beside another's consumer named like a restart marker"
assert_eq "mine_evlog_restart 5 0" "$(nats_tool consumer-info "$NATS_URL" ORDERS mine_evlog_restart)" \
  "the other consumer, untouched"

# A stream kept by interest, whose consumer limit leaves no room for the restart marker:
# a consumer with messages delivered and not acknowledged is not recreated (deleting it
# would let the server drop them); the bridge stops with an error and the stream keeps them.
nats_tool stream "$NATS_URL" KEPT "kept.events" interest 1
nats_tool consumer "$NATS_URL" KEPT held 1  # before the messages: without interest they go
expect_status 0 evlog bridge "$WORK/src" --to "$NATS_URL/kept.events" -g kept
assert_eq 3 "$(nats_tool fetch "$NATS_URL" KEPT held 3)" "messages fetched and not acknowledged"
expect_status 1 evlog bridge "$WORK/held" --from "$NATS_URL/KEPT" -g held
assert_contains "$(cat "$WORK/stderr")" "restart marker held_evlog_restart" "why the consumer is not recreated"
assert_eq 7 "$(stream_count KEPT)" "messages kept in the stream"
assert_eq "held 1 3" "$(nats_tool consumer-info "$NATS_URL" KEPT held)" "the consumer, untouched"

# A run stopped between the consumer's delete and its add, leaving the restart marker, and
# another client took the slot the consumer left: under the stream's consumer limit the
# marker holds the last one. The next run removes the marker first and resumes where the
# stopped one left off; on a stream kept by interest it stops instead and keeps the marker.
nats_tool stream "$NATS_URL" FULL full.events limits 2
expect_status 0 evlog bridge "$WORK/src" --to "$NATS_URL/full.events" -g full
nats_tool consumer "$NATS_URL" FULL slot_evlog_restart 4 "evlog bridge: restart marker of consumer slot"
nats_tool consumer "$NATS_URL" FULL taken 1
# (bounded: the bridge before this fix retried the refused add for ever)
expect_status 0 timeout 60 "$EVLOG" bridge "$WORK/slot" --from "$NATS_URL/FULL" -g slot
assert_contains "$(cat "$WORK/stderr")" "no room for consumer slot beside its restart marker" "the marker made room"
assert_contains "$(cat "$WORK/stderr")" "appended 4 events" "summary after the marker made room"
assert_eq "$(export_without_offsets "$WORK/src" | tail -n 4)" "$(export_without_offsets "$WORK/slot")" \
  "the copy from where the stopped run left off"
assert_eq "none" "$(nats_tool consumer-info "$NATS_URL" FULL slot_evlog_restart)" "the marker, removed"
assert_eq "slot 4 0" "$(nats_tool consumer-info "$NATS_URL" FULL slot)" "the consumer, resumed"
# A new consumer where the limit leaves no room: an error, not a wait for ever.
expect_status 1 timeout 60 "$EVLOG" bridge "$WORK/third" --from "$NATS_URL/FULL" -g third
assert_contains "$(cat "$WORK/stderr")" "stream FULL has as many consumers as its limit allows" "a full stream"
assert_contains "$(cat "$WORK/stderr")" "appended nothing from" "the summary of a run that failed before any message"
nats_tool stream "$NATS_URL" KEPT2 kept2.events interest 2
nats_tool consumer "$NATS_URL" KEPT2 taken 1  # before the messages: without interest they go
nats_tool consumer "$NATS_URL" KEPT2 held2_evlog_restart 4 "evlog bridge: restart marker of consumer held2"
expect_status 0 evlog bridge "$WORK/src" --to "$NATS_URL/kept2.events" -g kept2
expect_status 1 timeout 60 "$EVLOG" bridge "$WORK/held2" --from "$NATS_URL/KEPT2" -g held2
assert_contains "$(cat "$WORK/stderr")" "no room for it beside its restart marker held2_evlog_restart" \
  "why the marker stays on a stream kept by interest"
assert_eq "held2_evlog_restart 4 0" "$(nats_tool consumer-info "$NATS_URL" KEPT2 held2_evlog_restart)" \
  "the marker, kept"
assert_eq 7 "$(stream_count KEPT2)" "messages kept in the stream"

# --- errors: no stream stores the subject; no stream of that name.
expect_status 1 evlog bridge "$WORK/src" --to "$NATS_URL/nowhere" -g other
assert_contains "$(cat "$WORK/stderr")" "no JetStream stream stores subject nowhere" "subject without a stream"
assert_contains "$(cat "$WORK/stderr")" "nats stream add" "how to create one"
expect_status 1 evlog bridge "$WORK/none" --from "$NATS_URL/NOSTREAM" -g copy
assert_contains "$(cat "$WORK/stderr")" "no JetStream stream named NOSTREAM" "--from an unknown stream"

# --- SIGKILL mid-stream: every event once, in order. The bridge relays a first part; then
# the server is frozen (SIGSTOP) while the bridge sends the rest, so that it dies with
# publishes unacknowledged and the group behind what the stream will hold once the server
# reads them (SIGCONT): the restarted bridge resends those, and JetStream drops them.
# append_chunks LOG FIRST N: appends N events from event-FIRST, 100 to an append.
append_chunks() {
  local i
  for ((i = $2; i < $2 + $3; i += 100)); do
    seq "$i" $((i + 99)) | sed 's/^/event-/' | "$EVLOG" append "$1"
  done
}
# Bytes on their way to or from the server and not read yet: the receive queues of the
# server's sockets and the send queues of its clients'.
server_backlog() {
  local port total=0 local_address remote_address queues
  port=$(printf ':%04X' "$NATS_PORT")
  while read -r _ local_address remote_address _ queues _; do
    if [[ $local_address == *"$port" ]]; then
      total=$((total + 16#${queues#*:}))
    elif [[ $remote_address == *"$port" ]]; then
      total=$((total + 16#${queues%:*}))
    fi
  done < <(tail -n +2 /proc/net/tcp)
  echo "$total"
}
total=3000
nats_tool stream "$NATS_URL" KILL kill.events
append_chunks "$WORK/kill" 0 1000
"$EVLOG" bridge "$WORK/kill" --to "$NATS_URL/kill.events" -g relay -f 2>"$WORK/kill.stderr" &
bridge=$!
BACKGROUND_PIDS+=("$bridge")
wait_until 60 "the stream holding 1000 messages" bash -c "(( \$($TOOL info $NATS_URL KILL | cut -d' ' -f1) >= 1000 ))"
kill -STOP "$NATS_PID"
trap 'kill -CONT "$NATS_PID" 2>/dev/null || true; cleanup' EXIT  # a frozen server ignores SIGTERM
append_chunks "$WORK/kill" 1000 $((total - 1000))
sent_to_frozen_server() { (( $(server_backlog) > 100000 )); }
wait_until 60 "the bridge sending to the frozen server" sent_to_frozen_server
kill -KILL "$bridge"
wait "$bridge" 2>/dev/null || true
kill -CONT "$NATS_PID"
acked=$(group_position "$WORK/kill" relay)
# What the killed bridge's socket held reaches the server only if the kernel closed it with
# a FIN; with unread bytes in its receive queue it sends a reset, and the server drops what it
# had not read. Either way the server settles: wait until the stream stops growing. (Whether
# the restarted bridge's resends are dropped as duplicates is proven for certain above, after
# the group reset; here, that a kill at any moment leaves every event once and in order.)
stream_settled() {
  local before; before=$(stream_count KILL); sleep 0.5
  [[ $(stream_count KILL) == "$before" ]]
}
wait_until 60 "the server settling after the killed bridge" stream_settled
echo "killed with the group at $acked, the stream then holding $(stream_count KILL) messages"
expect_status 0 evlog bridge "$WORK/kill" --to "$NATS_URL/kill.events" -g relay
assert_stream_offsets KILL "$WORK/kill" "$total" "offsets after a SIGKILL" "$WORK/kill.stderr"
assert_eq "$total" "$(group_position "$WORK/kill" relay)" "group after the restart"

# --- the server restarts mid-stream: the bridge waits, then resumes; -f ends on SIGTERM (143).
nats_tool stream "$NATS_URL" RESTART restart.events
append_chunks "$WORK/restart" 0 100
"$EVLOG" bridge "$WORK/restart" --to "$NATS_URL/restart.events" -g relay -f 2>"$WORK/restart.stderr" &
bridge=$!
BACKGROUND_PIDS+=("$bridge")
append_chunks "$WORK/restart" 100 $((total - 200)) &
appender=$!
wait_until 60 "the stream holding 1000 messages" bash -c "(( \$($TOOL info $NATS_URL RESTART | cut -d' ' -f1) >= 1000 ))"
nats_server_stop
wait_until 60 "the bridge noting the outage" grep -q "no connection\|retrying\|resent" "$WORK/restart.stderr"
kill -0 "$bridge" || fail "the bridge ended while the server was down: $(cat "$WORK/restart.stderr")"
wait "$appender"
append_chunks "$WORK/restart" $((total - 100)) 100  # events that arrive during the outage
nats_server_start "$NATS_PORT"
wait_until 120 "every event relayed after the restart" bash -c "(( \$($TOOL info $NATS_URL RESTART | cut -d' ' -f1) >= $total ))"
wait_until 60 "the group acked to the end" bash -c "[[ \$(\"$EVLOG\" groups \"$WORK/restart\" --json) == *'\"position\":$total'* ]]"
kill -TERM "$bridge"
status=0
wait "$bridge" || status=$?
assert_eq 143 "$status" "exit status of a follower stopped by SIGTERM"
assert_stream_offsets RESTART "$WORK/restart" "$total" "offsets after a server restart" "$WORK/restart.stderr"
assert_eq "$total" "$(group_position "$WORK/restart" relay)" "group after SIGTERM"
sed 's/^/restart: /' "$WORK/restart.stderr"

# The connection lost just before the N-th publish (a shim closes it), for the first
# publish on a JetStream context and for some with others in flight: the sink opens another
# connection and relays everything, once, in order. libnats keeps no list of pending
# messages after a first publish that failed, and asking it for one crashed the bridge.
append_chunks "$WORK/closed" 0 2000
for n in 1 2 3 1000 1999; do
  nats_tool stream "$NATS_URL" "CLOSED$n" "closed$n.events"
  status=0
  EVLOG_CLOSE_BEFORE_PUBLISH=$n LD_PRELOAD=$CLOSE_SHIM \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    "$EVLOG" bridge "$WORK/closed" --to "$NATS_URL/closed$n.events" -g "relay$n" 2>"$WORK/closed.stderr" || status=$?
  assert_eq 0 "$status" "exit status with the connection closed before publish $n ($(cat "$WORK/closed.stderr"))"
  assert_contains "$(cat "$WORK/closed.stderr")" "the connection closes now" "the shim closed the connection ($n)"
  assert_stream_offsets "CLOSED$n" "$WORK/closed" 2000 "offsets with the connection closed before publish $n" \
    "$WORK/closed.stderr"
done

# A copied log directory that goes on appending has forked: same log id, and its new events
# take the offsets the original's new events take. Relayed to one subject, both forks' events
# are stored (the fingerprint in Nats-Msg-Id); without it JetStream took the copy's for
# duplicates of the original's, acknowledged them and stored nothing.
nats_tool stream "$NATS_URL" FORK "fork.events"
printf 'first\nsecond\n' | evlog append "$WORK/original"
expect_status 0 evlog bridge "$WORK/original" --to "$NATS_URL/fork.events" -g relay
cp -a "$WORK/original" "$WORK/restored"
printf 'third, in the original\n' | evlog append "$WORK/original"
printf 'third, in the restored copy\n' | evlog append "$WORK/restored"
expect_status 0 evlog bridge "$WORK/original" --to "$NATS_URL/fork.events" -g relay
expect_status 0 evlog bridge "$WORK/restored" --to "$NATS_URL/fork.events" -g relay
assert_contains "$(cat "$WORK/stderr")" "relayed 1 event" "the restored copy's relay"
assert_eq "first
second
third, in the original
third, in the restored copy" "$(nats_tool dump "$NATS_URL" FORK | python3 -c 'import base64, json, sys
for line in sys.stdin: print(base64.b64decode(json.loads(line)["data"]).decode())')" "both forks' events in the stream"
assert_eq "0 1 2 2" "$(nats_tool dump "$NATS_URL" FORK | python3 -c 'import json, sys
print(*(json.loads(line)["headers"]["evlog.offset"][0] for line in sys.stdin))')" "the forks' offsets"

# One log relayed by two groups to two subjects of one stream: JetStream's duplicate window
# is per stream, so the Nats-Msg-Id names the subject, or the second relay's events would be
# taken for duplicates, acked and never stored under their subject.
nats_tool stream "$NATS_URL" TWO "two.*"
printf 'x\ny\nz\n' | evlog append "$WORK/two"
expect_status 0 evlog bridge "$WORK/two" --to "$NATS_URL/two.a" -g to-a
expect_status 0 evlog bridge "$WORK/two" --to "$NATS_URL/two.b" -g to-b
assert_eq 6 "$(stream_count TWO)" "messages of one log relayed to two subjects of one stream"
nats_server_stop
echo "bridge_nats: ok"
