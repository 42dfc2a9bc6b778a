# evlog bridge to Kafka across failures (issue 12), against librdkafka's mock cluster driven
# through its control commands (kafka_mock_cluster.cc): a broker outage and retriable Produce
# errors are waited out with no event skipped or reordered per key; a message the broker
# refuses for good ends the bridge naming its offset, the group not acked past it; a bridge
# killed with SIGKILL mid-stream and restarted leaves every event in the topic at least
# once, the first copies in order per key.
# Usage: bridge_kafka_failures.sh PATH/TO/evlog PATH/TO/evlog_kafka_mock_cluster
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"
MOCK=${2:?usage: $0 PATH/TO/evlog PATH/TO/evlog_kafka_mock_cluster}
CHECK="python3 $(dirname "$0")/bridge_kafka_check.py"
SEED=${EVLOG_TEST_SEED:-$RANDOM}
echo "seed $SEED (replay with EVLOG_TEST_SEED=$SEED)"

# The mock's one broker (id 1) leads every partition: down, it stops the whole topic.
kafka_mock_start "$MOCK" 1 orders 3
LOG=$WORK/events
$CHECK make 1000 "$SEED" | evlog append --json "$LOG"
LOG_ID=$(log_id "$LOG")
position() { group_position "$LOG" "$1"; }
at_position() { [[ $(position "$1") == "$2" ]]; }

# One request in flight: the mock (librdkafka 2.0.2) does not check an idempotent producer's
# sequence numbers as a broker does, so with several in flight it stores the batch after a
# failed one, and the failed one's retry is then taken for a duplicate and never stored,
# while the producer is told it was (seen here as one event missing from the topic in about
# one run in ten under load). A real broker refuses the later batch (OUT_OF_ORDER_SEQUENCE)
# until the failed one is stored; that is librdkafka's guarantee, which this test cannot
# reproduce with the mock. What it proves: the bridge waits out outages and retries, and
# acks only what was confirmed.
"$EVLOG" bridge "$LOG" --to "kafka://$KAFKA_BOOTSTRAP/orders" -g relay -f \
  -X max.in.flight.requests.per.connection=1 2>"$WORK/relay.err" &
relay=$!
BACKGROUND_PIDS+=("$relay")
wait_until 60 "the first 1000 events relayed" at_position relay 1000

# An outage: what is appended meanwhile waits, with a note, and goes once the broker is back.
kafka_mock_control "down 1"
$CHECK make 1000 "$((SEED + 1))" | evlog append --json "$LOG"
noted() { grep -q "waiting for kafka://$KAFKA_BOOTSTRAP/orders: .*; retrying" "$WORK/relay.err"; }
wait_until 60 "a note that the bridge waits for the broker" noted
[[ $(position relay) == 1000 ]] || fail "the group moved during the outage: $(position relay)"
kafka_mock_control "up 1"
wait_until 120 "the events appended during the outage relayed" at_position relay 2000

# Retriable Produce errors (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS):
# retried by the idempotent producer, in order.
kafka_mock_control "errors 0 6 3"
kafka_mock_control "errors 0 7 2"
kafka_mock_control "errors 0 19 3"
$CHECK make 1000 "$((SEED + 2))" | evlog append --json "$LOG"
wait_until 120 "the events relayed through injected errors" at_position relay 3000
kill -TERM "$relay"
status=0
wait "$relay" || status=$?
assert_eq 143 "$status" "the follower's exit status ($(cat "$WORK/relay.err"))"
notes=$(grep -c "waiting for kafka://" "$WORK/relay.err")
[[ $notes -le 12 ]] || fail "$notes notes about the outage: they should be rate-limited"
evlog export "$LOG" --format ndjson >"$WORK/export"
kafka_consume orders "$WORK/consumed"
$CHECK check "$WORK/export" "$WORK/consumed" "$LOG_ID" || fail "the topic after an outage and errors"

# A message refused for good (MESSAGE_TOO_LARGE): the bridge stops naming the event, and the
# group does not move past it.
kafka_mock_control "errors 0 10 1"
expect_status 1 evlog bridge "$LOG" --to "kafka://$KAFKA_BOOTSTRAP/refused" -g refused
refused_at=$(sed -n 's/.*event at offset \([0-9]*\) was not stored in .*/\1/p' "$WORK/stderr" | head -1)
[[ -n $refused_at ]] || fail "the error does not name the event: $(cat "$WORK/stderr")"
assert_contains "$(cat "$WORK/stderr")" "too large" "the error says why"
[[ $(position refused) -le $refused_at ]] || fail "group acked past the refused event $refused_at: $(position refused)"

# An event the client refuses before sending (larger than message.max.bytes): the bridge
# stops there, but first acks what the broker confirmed before it, so a rerun does not send
# it all again (a review found every rerun sending the whole prefix anew).
BIG=$WORK/big
(for i in $(seq 0 1999); do echo "small $i"; done
 head -c 1500000 /dev/zero | tr '\0' x; echo
 echo "after") | evlog append "$BIG" --max-event-bytes 4M
for run in 1 2; do
  expect_status 1 evlog bridge "$BIG" --to "kafka://$KAFKA_BOOTSTRAP/big" -g big
  assert_eq 2000 "$(group_position "$BIG" big)" "run $run: the group after a refused event at offset 2000"
done

# SIGKILL mid-stream: small batches and a slow broker make the relay last seconds; the
# restart sends again what was not acked.
kafka_mock_control "rtt 1 200"
slow=(-X batch.num.messages=20 -X linger.ms=1)
"$EVLOG" bridge "$LOG" --to "kafka://$KAFKA_BOOTSTRAP/killed" -g killed "${slow[@]}" 2>"$WORK/killed.err" &
killed=$!
BACKGROUND_PIDS+=("$killed")
started() { [[ $(position killed) -gt 0 ]]; }
wait_until 60 "the relay to be killed has acked some events" started
# On a loaded machine the relay may have ended between the check and the kill: that is
# reported below as such, not as kill's "No such process".
kill -KILL "$killed" 2>/dev/null || true
wait "$killed" || true
at_kill=$(position killed)
[[ $at_kill -lt 3000 ]] || fail "the relay had finished before SIGKILL; nothing was tested"
kafka_mock_control "rtt 1 0"
expect_status 0 evlog bridge "$LOG" --to "kafka://$KAFKA_BOOTSTRAP/killed" -g killed
assert_eq 3000 "$(position killed)" "the group after the restart (killed at $at_kill)"
kafka_consume killed "$WORK/killed"
$CHECK check "$WORK/export" "$WORK/killed" "$LOG_ID" || fail "the topic after SIGKILL and restart"

# A reset of the group by another program while the bridge follows stands: the bridge stops
# at its next ack (exit 3) instead of moving the group forward again.
"$EVLOG" bridge "$LOG" --to "kafka://$KAFKA_BOOTSTRAP/reset" -g reset -f 2>"$WORK/reset.err" &
follower=$!
BACKGROUND_PIDS+=("$follower")
caught_up() { [[ $(position reset) == "$(evlog stat "$LOG" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["next_offset"])')" ]]; }
wait_until 60 "the follower to catch up" caught_up
evlog groups "$LOG" -g reset --reset-to 0 --execute >/dev/null
$CHECK make 10 "$((SEED + 7))" | evlog append --json "$LOG"
status=0
wait "$follower" || status=$?
assert_eq 3 "$status" "the follower's exit status after a reset ($(cat "$WORK/reset.err"))"
assert_contains "$(cat "$WORK/reset.err")" "was moved back to offset 0" "the follower's message after a reset"
assert_eq 0 "$(position reset)" "the group after a reset during the relay"

# SIGINT while the producer's queue is full (the broker down, 100 events for a queue of 10):
# the bridge stops as the signal asks, exit 130 and no error, acking nothing unconfirmed (a
# review found it exiting 1 with "interrupted while ... queue was full" as an error).
kafka_mock_control "down 1"
QUEUED=$WORK/queued
seq 1 100 | evlog append "$QUEUED"
"$EVLOG" bridge "$QUEUED" --to "kafka://$KAFKA_BOOTSTRAP/queued" -g queued -f \
  -X queue.buffering.max.messages=10 2>"$WORK/queued.err" &
queued=$!
BACKGROUND_PIDS+=("$queued")
queued_waits() { grep -q "waiting for kafka://$KAFKA_BOOTSTRAP/queued" "$WORK/queued.err"; }
wait_until 60 "the bridge noting that the broker is down" queued_waits
kill -INT "$queued"
status=0
wait "$queued" || status=$?
assert_eq 130 "$status" "the exit status after SIGINT with the producer's queue full ($(cat "$WORK/queued.err"))"
grep -q "queue was full" "$WORK/queued.err" && fail "SIGINT reported as an error: $(cat "$WORK/queued.err")"
assert_eq 0 "$(group_position "$QUEUED" queued)" "the group after SIGINT with nothing confirmed"
kafka_mock_control "up 1"

kafka_mock_stop TERM
echo "bridge_kafka_failures: ok"
