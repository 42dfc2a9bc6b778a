# evlog bridge and Kafka (issue 12), against librdkafka's mock cluster: a log relayed to a
# topic of several partitions arrives whole, keyed, with its headers and the bridge headers
# (format-spec/bridge.md §B2, §B3), in order per key; the group records it; a second run
# relays nothing; -f follows; a topic relayed back into a new log exports the same events.
# Usage: bridge_kafka.sh PATH/TO/evlog PATH/TO/evlog_kafka_mock_cluster
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"
MOCK=${2:?usage: $0 PATH/TO/evlog PATH/TO/evlog_kafka_mock_cluster}
CHECK="python3 $(dirname "$0")/bridge_kafka_check.py"
SEED=${EVLOG_TEST_SEED:-$RANDOM}
echo "seed $SEED (replay with EVLOG_TEST_SEED=$SEED)"

kafka_mock_start "$MOCK" 3 orders 4
LOG=$WORK/events
$CHECK make 300 "$SEED" | evlog append --json "$LOG"
LOG_ID=$(log_id "$LOG")

position() { group_position "$LOG" "$1"; }

expect_status 0 evlog bridge "$LOG" --to "kafka://$KAFKA_BOOTSTRAP/orders" -g relay
assert_contains "$(cat "$WORK/stderr")" "relayed 300 events (offsets 0..299) to kafka://$KAFKA_BOOTSTRAP/orders" "summary"
evlog export "$LOG" --format ndjson >"$WORK/export"
kafka_consume orders "$WORK/consumed"
$CHECK check "$WORK/export" "$WORK/consumed" "$LOG_ID" --exactly-once || fail "the topic after one relay"
assert_eq 300 "$(position relay)" "group position after the relay"
used=$(python3 -c 'import json, sys; print(len({json.loads(l)["partition"] for l in open(sys.argv[1], errors="surrogateescape")}))' "$WORK/consumed")
[[ $used -gt 1 ]] || fail "300 events over 8 keys all went to one partition of 4"

# CreateTime in whole milliseconds, rounded down; 1 for the first millisecond of 1970, which
# librdkafka would read as "now" if sent as 0; -1 (none) before 1970 (a review saw "now").
printf '%s\n' '{"offset":0,"timestamp":"1969-12-31T23:59:59.5Z","payload":"before 1970"}' \
  '{"offset":1,"timestamp":"1970-01-01T00:00:00.0000005Z","payload":"first millisecond"}' \
  '{"offset":2,"timestamp":"2026-01-01T00:00:00.0123456Z","payload":"later"}' >"$WORK/times.ndjson"
evlog import "$WORK/times" "$WORK/times.ndjson"
expect_status 0 evlog bridge "$WORK/times" --to "kafka://$KAFKA_BOOTSTRAP/times" -g relay
kafka_consume times "$WORK/times.consumed"
# By payload: unkeyed events spread over the topic's partitions, which kcat reads in any order.
assert_eq "-1 1 1767225600012" "$(python3 -c '
import json, sys
ts = {m["payload"]: m["ts"] for m in map(json.loads, open(sys.argv[1]))}
print(*[ts[p] for p in ("before 1970", "first millisecond", "later")])' "$WORK/times.consumed")" \
  "CreateTime of events before 1970, in its first millisecond, and later"

# Caught up: a second run sends nothing.
expect_status 0 evlog bridge "$LOG" --to "kafka://$KAFKA_BOOTSTRAP/orders" -g relay
assert_contains "$(cat "$WORK/stderr")" "nothing to relay: group relay is at 300" "second run"
kafka_consume orders "$WORK/consumed"
assert_eq 300 "$(wc -l <"$WORK/consumed")" "messages after a second run"

# -f: new events follow; SIGTERM ends it with 143, everything relayed acked.
"$EVLOG" bridge "$LOG" --to "kafka://$KAFKA_BOOTSTRAP/orders" -g relay -f 2>"$WORK/follow.err" &
follower=$!
BACKGROUND_PIDS+=("$follower")
$CHECK make 50 "$((SEED + 1))" | evlog append --json "$LOG"
relayed() { [[ $(position relay) == "$1" ]]; }
wait_until 60 "the follower relays 50 new events" relayed 350
$CHECK make 25 "$((SEED + 2))" | evlog append --json "$LOG"
wait_until 60 "the follower relays 25 more" relayed 375
kill -TERM "$follower"
status=0
wait "$follower" || status=$?
assert_eq 143 "$status" "exit status of a follower stopped by SIGTERM ($(cat "$WORK/follow.err"))"
evlog export "$LOG" --format ndjson >"$WORK/export"
kafka_consume orders "$WORK/consumed"
$CHECK check "$WORK/export" "$WORK/consumed" "$LOG_ID" --exactly-once || fail "the topic after following"

# --partition: every event into one partition, whatever its key.
expect_status 0 evlog bridge "$LOG" --to "kafka://$KAFKA_BOOTSTRAP/orders-p2" -g p2 --partition 0
kafka_consume orders-p2 "$WORK/p2"
$CHECK check "$WORK/export" "$WORK/p2" "$LOG_ID" --exactly-once --single-partition || fail "--partition 0"

# Round trip: the single-partition topic back into a new log exports the same events
# (keys, headers, payloads, nanosecond timestamps), offsets aside.
COPY=$WORK/copy
expect_status 0 evlog bridge "$COPY" --from "kafka://$KAFKA_BOOTSTRAP/orders-p2" -g copy "${KAFKA_QUICK_GROUP[@]}"
assert_contains "$(cat "$WORK/stderr")" "appended 375 events (offsets 0..374) to $COPY" "summary of --from"
without_offsets() { evlog export "$1" --format ndjson | sed 's/^{"offset":[0-9]*,/{/'; }
without_offsets "$LOG" >"$WORK/source.ndjson"
without_offsets "$COPY" >"$WORK/copy.ndjson"
assert_files_equal "$WORK/source.ndjson" "$WORK/copy.ndjson" "log -> Kafka -> log"
# The group's offsets were committed: nothing new; new messages come next, once.
expect_status 0 evlog bridge "$COPY" --from "kafka://$KAFKA_BOOTSTRAP/orders-p2" -g copy "${KAFKA_QUICK_GROUP[@]}"
assert_contains "$(cat "$WORK/stderr")" "nothing new from kafka://" "second --from"
printf 'k:v1\nk:v2\n' | timeout 60 kcat -P -b "$KAFKA_BOOTSTRAP" -t orders-p2 -K: || fail "kcat -P"
expect_status 0 evlog bridge "$COPY" --from "kafka://$KAFKA_BOOTSTRAP/orders-p2" -g copy "${KAFKA_QUICK_GROUP[@]}"
assert_eq $'k v1\nk v2' "$(evlog tail "$COPY" --from 375 --format '%k %s\n')" "messages produced by kcat"
# A message too large for the log once encoded, though its payload alone fits: the messages
# before it are appended and the bridge stops there, naming it. (A review found the exact
# size checked only when the round was appended, which then failed whole, every run.)
SMALL=$WORK/small-events
evlog append "$SMALL" --max-event-bytes 1K </dev/null
{ echo a; echo b; head -c 1020 /dev/zero | tr '\0' z; echo; echo c; } |
  timeout 60 kcat -P -b "$KAFKA_BOOTSTRAP" -t one-too-large -p 0 || fail "kcat -P"
expect_status 1 evlog bridge "$SMALL" --from "kafka://$KAFKA_BOOTSTRAP/one-too-large" -g big "${KAFKA_QUICK_GROUP[@]}"
assert_contains "$(cat "$WORK/stderr")" "the message at partition 0 offset 2 holds at least 10" "the message too large"
assert_eq $'a\nb' "$(evlog tail "$SMALL" --from beginning)" "the messages before the one too large"
# The four-partition topic into a log: every event, keys in order (partitions interleave).
expect_status 0 evlog bridge "$WORK/all" --from "kafka://$KAFKA_BOOTSTRAP/orders" -g all "${KAFKA_QUICK_GROUP[@]}"
assert_eq "$(evlog tail "$LOG" --from beginning --format '%k %s\n' | sort)" \
  "$(evlog tail "$WORK/all" --from beginning --format '%k %s\n' | sort)" "events of a four-partition topic"
for key in k0 k3 k7; do
  assert_eq "$(evlog tail "$LOG" --from beginning --key "$key" --format '%s\n')" \
    "$(evlog tail "$WORK/all" --from beginning --key "$key" --format '%s\n')" "order of key $key"
done

# -f on the way in: new messages arrive until SIGTERM (143), committed.
"$EVLOG" bridge "$WORK/all" --from "kafka://$KAFKA_BOOTSTRAP/orders" -g all -f "${KAFKA_QUICK_GROUP[@]}" 2>"$WORK/follow.err" &
follower=$!
BACKGROUND_PIDS+=("$follower")
printf 'late:1\n' | timeout 60 kcat -P -b "$KAFKA_BOOTSTRAP" -t orders -K: || fail "kcat -P"
arrived() { [[ $(evlog tail "$WORK/all" --from -1 --format '%k %s\n') == "late 1" ]]; }
wait_until 60 "a message produced while following" arrived
kill -TERM "$follower"
status=0
wait "$follower" || status=$?
assert_eq 143 "$status" "exit status of a --from follower stopped by SIGTERM ($(cat "$WORK/follow.err"))"
expect_status 0 evlog bridge "$WORK/all" --from "kafka://$KAFKA_BOOTSTRAP/orders" -g all "${KAFKA_QUICK_GROUP[@]}"
assert_contains "$(cat "$WORK/stderr")" "nothing new from kafka://" "after the follower"

kafka_mock_stop TERM
echo "bridge_kafka: ok"
