# evlog bridge --from NATS JetStream (format-spec/bridge.md §B4, stream -> log): the state a
# durable consumer is found in, against a real nats-server. Recreated after a crash, it
# starts where the acknowledgements stopped, never earlier; one the bridge cannot use is
# refused at once and left as it is.
# Usage: bridge_nats_consumer.sh PATH/TO/evlog PATH/TO/evlog_nats_tool
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nats_server_lib.sh"
TOOL=${2:?usage: $0 PATH/TO/evlog PATH/TO/evlog_nats_tool}
CRASH_SHIM=${EVLOG_CRASH_SHIM:?set by ctest: the crash_at_sync shim}
source "$(dirname "$0")/nats_stream_lib.sh"
# payloads LOG: the log's payloads, in offset order, on one line.
payloads() { evlog export "$1" | python3 -c 'import json, sys
print(*(json.loads(line)["payload"].strip() for line in sys.stdin))'; }

nats_server_start

# --- A crash between a restart and its first acknowledgement. A run that finds messages
# delivered and not acknowledged recreates the consumer to deliver from stream sequence S,
# the first one not acknowledged. If it dies before acknowledging anything, nats-server
# reports that consumer's ack floor as 0, not S - 1; the next run took ack floor + 1 = 1 as
# its start and appended the whole stream again, messages acknowledged runs before
# included. It must start at S: only the round the crash kept from being acknowledged comes
# again (§B5).
nats_tool stream "$NATS_URL" CRASH crash.events
seq 1 5 | evlog append "$WORK/src"
expect_status 0 evlog bridge "$WORK/src" --to "$NATS_URL/crash.events" -g relay
expect_status 0 evlog bridge "$WORK/dst" --from "$NATS_URL/CRASH" -g copy
assert_eq "1 2 3 4 5" "$(payloads "$WORK/dst")" "the first copy"
seq 6 10 | evlog append "$WORK/src"
expect_status 0 evlog bridge "$WORK/src" --to "$NATS_URL/crash.events" -g relay
# A run that died with 6 and 7 delivered and not acknowledged.
assert_eq 2 "$(nats_tool fetch "$NATS_URL" CRASH copy 2)" "messages fetched and not acknowledged"
status=0
EVLOG_CRASH_AT_SYNC=1 LD_PRELOAD=$CRASH_SHIM ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
  "$EVLOG" bridge "$WORK/dst" --from "$NATS_URL/CRASH" -g copy 2>"$WORK/stderr" || status=$?
assert_eq 137 "$status" "exit status of the run killed at its first sync ($(cat "$WORK/stderr"))"
assert_contains "$(cat "$WORK/stderr")" "recreated to deliver again from stream sequence 6" "the crashed run's restart"
# The crash came after the restart (the consumer starts at 6) and before any acknowledgement
# (all five delivered are pending): the state in which the server reports ack floor 0.
assert_eq "copy 6 5" "$(nats_tool consumer-info "$NATS_URL" CRASH copy)" "the consumer the crashed run left"
expect_status 0 timeout 60 "$EVLOG" bridge "$WORK/dst" --from "$NATS_URL/CRASH" -g copy
assert_contains "$(cat "$WORK/stderr")" "recreated to deliver again from stream sequence 6" "the next run's restart"
# What the crashed run appended before it died may be there; 1 to 5, acknowledged two runs
# before, are not appended again, and 6 to 10 come once more at most, in order.
case "$(payloads "$WORK/dst")" in
  "1 2 3 4 5 6 7 8 9 10" | "1 2 3 4 5 6 7 8 9 10 6 7 8 9 10") ;;
  *) fail "the copy after a crash between a restart and its first acknowledgement: $(payloads "$WORK/dst")" ;;
esac
expect_status 0 evlog bridge "$WORK/dst" --from "$NATS_URL/CRASH" -g copy
assert_contains "$(cat "$WORK/stderr")" "nothing new" "a run after everything was acknowledged"

# --- Consumers the bridge cannot use as they are. A consumer found in place is refused at
# once (exit 1, even with -f), naming it and what to do, and left as it is, unless the
# bridge could have created it: a pull consumer over the whole stream, delivering from its
# start or a stream sequence, payloads included. Before, a push consumer or any other
# consumer libnats will not pull from was retried for ever, even without -f, and a filter or
# a deliver policy new or last relayed part of the stream.
nats_tool stream "$NATS_URL" KINDS 'kinds.*'
seq 1 5 | evlog append "$WORK/kinds"
expect_status 0 evlog bridge "$WORK/kinds" --to "$NATS_URL/kinds.a" -g relay
expect_status 0 evlog bridge "$WORK/kinds" --to "$NATS_URL/kinds.b" -g relay-b
# refused KIND WHY [OPTIONS...]: a consumer of KIND (evlog_nats_tool consumer-of-kind) is refused.
refused() {
  local kind=$1 why=$2 name=odd-${1//[:.]/-}
  shift 2
  nats_tool consumer-of-kind "$NATS_URL" KINDS "$name" "$kind"
  expect_status 1 timeout 60 "$EVLOG" bridge "$WORK/copy-$name" --from "$NATS_URL/KINDS" -g "$name" "$@"
  assert_contains "$(cat "$WORK/stderr")" "consumer $name $why" "why the consumer of kind $kind is refused"
  assert_contains "$(cat "$WORK/stderr")" "give -g a new name, or delete the consumer" "what to do (kind $kind)"
  [[ "$(cat "$WORK/stderr")" != *retrying* ]] || fail "a retry of the consumer of kind $kind: $(cat "$WORK/stderr")"
}
refused push "is a push consumer (it delivers to subject nats-tool.push.odd-push)"
refused push "is a push consumer" -f
refused filter:kinds.a "delivers only the messages of subject kinds.a"
refused new 'has a deliver policy other than "all" or "by_start_sequence"'
refused last 'has a deliver policy other than "all" or "by_start_sequence"'
refused by-time 'has a deliver policy other than "all" or "by_start_sequence"'
refused headers-only "delivers headers only"
# The server refuses a fetch of more (every fetch failed, "retrying" for ever)...
refused max-batch "limits a pull request to 10 messages"
# ... and deletes this one after an hour without a client, so that the next run created it
# anew and copied the whole stream again.
refused inactive "is deleted by the server after 3600 s without a client"
# One with messages delivered and not acknowledged is refused before it is recreated
# (which would delete it and its filter).
assert_eq 2 "$(nats_tool fetch "$NATS_URL" KINDS odd-filter-kinds-a 2)" "messages fetched and not acknowledged"
expect_status 1 timeout 60 "$EVLOG" bridge "$WORK/copy-filtered" --from "$NATS_URL/KINDS" -g odd-filter-kinds-a
assert_contains "$(cat "$WORK/stderr")" "delivers only the messages of subject kinds.a" "a filtered consumer with pending messages"
assert_eq "odd-filter-kinds-a 0 2" "$(nats_tool consumer-info "$NATS_URL" KINDS odd-filter-kinds-a)" \
  "the filtered consumer, untouched"
# libnats's own refusal to pull from a consumer is final too: libnats 3.4 refuses one with
# memory storage, which the bridge's checks let pass. (A libnats that accepts it copies.)
nats_tool consumer-of-kind "$NATS_URL" KINDS odd-memory memory
status=0
timeout 60 "$EVLOG" bridge "$WORK/copy-memory" --from "$NATS_URL/KINDS" -g odd-memory 2>"$WORK/stderr" || status=$?
case $status in
  1) assert_contains "$(cat "$WORK/stderr")" "libnats will not pull from a consumer configured so: give -g a new name" \
       "libnats's refusal of the consumer with memory storage" ;;
  0) assert_eq 10 "$(event_count "$WORK/copy-memory")" "the copy through a consumer with memory storage" ;;
  *) fail "the consumer with memory storage: exit status $status: $(cat "$WORK/stderr")" ;;
esac
# A durable name libnats refuses is refused once, not retried.
expect_status 1 timeout 60 "$EVLOG" bridge "$WORK/copy-dotted" --from "$NATS_URL/KINDS" -g a.b
assert_contains "$(cat "$WORK/stderr")" "cannot contain '.'" "a durable name with a dot"
assert_contains "$(cat "$WORK/stderr")" "give -g another name" "what to do about the name"

nats_server_stop
echo "bridge_nats_consumer: ok"
