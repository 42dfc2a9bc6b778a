# evlog bridge to Kafka, when the broker refuses an event for good while another partition's
# batches are still in flight (issue 12, format-spec/bridge.md §B3): the bridge ends naming
# the refused event, but first collects the confirmations still arriving from the slower
# partition and acks the group up to the refused event, so that a rerun sends only what was
# never confirmed. A review found the wait ending after a single poll: the group stayed at 0
# while the slow partition stored its events, and the rerun stored them all again.
# Usage: bridge_kafka_drain.sh PATH/TO/evlog PATH/TO/evlog_kafka_mock_cluster
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"
MOCK=${2:?usage: $0 PATH/TO/evlog PATH/TO/evlog_kafka_mock_cluster}

# Two brokers, each leading one partition of `split`; broker 1 answers every request 50 ms
# late, so its partition's batches confirm one round trip at a time.
kafka_mock_start "$MOCK" 2 split 2
kafka_mock_control "leader split 0 1"
kafka_mock_control "leader split 1 2"
kafka_mock_control "rtt 1 50"

# 1000 events of key `a` (partition 0 by murmur2), then one of key `d` (partition 1), which
# broker 2 refuses as too large (Kafka error 10) on its first Produce request.
LOG=$WORK/events
{
  for i in $(seq 0 999); do echo "a:event $i"; done
  echo "d:the refused one"
} | evlog append "$LOG" -K :
kafka_mock_control "broker-errors 2 0 10 1"

expect_status 1 evlog bridge "$LOG" --to "kafka://$KAFKA_BOOTSTRAP/split" -g g -X batch.num.messages=100
assert_contains "$(cat "$WORK/stderr")" "event at offset 1000 was not stored" "the error names the refused event"
# The summary's range is what the group covers, not what was sent.
assert_contains "$(cat "$WORK/stderr")" "relayed 1000 events (offsets 0..999)" "the summary"
kafka_consume split "$WORK/first"
python3 - "$WORK/first" <<'PY' || fail "the keys did not land on the partitions this test assumes"
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    assert (m["key"], m["partition"]) in (("a", 0), ("d", 1)), m
PY
stored=$(grep -c '"partition":0' "$WORK/first" || true)
assert_eq 1000 "$stored" "events of the slow partition stored before the bridge ended"
assert_eq 1000 "$(group_position "$LOG" g)" "the group after the bridge ended: up to the refused event"

# The rerun sends the refused event alone (the broker takes it now): nothing twice.
expect_status 0 evlog bridge "$LOG" --to "kafka://$KAFKA_BOOTSTRAP/split" -g g -X batch.num.messages=100
assert_eq 1001 "$(group_position "$LOG" g)" "the group after the rerun"
kafka_consume split "$WORK/second"
assert_eq 1001 "$(wc -l <"$WORK/second" | tr -d ' ')" "messages in the topic after the rerun"
kafka_mock_stop
echo PASS
