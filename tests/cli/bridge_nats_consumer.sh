# evlog bridge --from NATS JetStream (format-spec/bridge.md §B4, stream -> log): the state a
# durable consumer is found in, against a real nats-server. Recreated after a crash, it
# starts where the acknowledgements stopped, never earlier.
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

nats_server_stop
echo "bridge_nats_consumer: ok"
