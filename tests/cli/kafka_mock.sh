# The mock Kafka cluster test tool (kafka_mock_cluster.cc) against a real client, kcat: the
# ground the `evlog bridge` Kafka tests (issue 12) stand on.
# Usage: kafka_mock.sh PATH/TO/evlog PATH/TO/evlog_kafka_mock_cluster
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"
MOCK=${2:?usage: $0 PATH/TO/evlog PATH/TO/evlog_kafka_mock_cluster}

# Three brokers, a topic of three partitions: keyed messages produced with kcat come back
# from kcat's consumer, each once. Distinct keys may land on distinct partitions, whose
# relative order Kafka does not define, so the lines are compared sorted.
kafka_mock_start "$MOCK" 3 orders 3
printf 'k1:one\nk2:two\nk3:three\n' | timeout 60 kcat -P -b "$KAFKA_BOOTSTRAP" -t orders -K: ||
  fail "kcat -P against $KAFKA_BOOTSTRAP"
timeout 60 kcat -C -b "$KAFKA_BOOTSTRAP" -t orders -e -q -f '%k %s\n' >"$WORK/consumed" ||
  fail "kcat -C against $KAFKA_BOOTSTRAP"
assert_eq $'k1 one\nk2 two\nk3 three' "$(sort "$WORK/consumed")" "messages consumed back"
partitions=$(timeout 60 kcat -L -b "$KAFKA_BOOTSTRAP" -t orders | grep -c 'partition [0-9]')
assert_eq 3 "$partitions" "partitions of the created topic"
kafka_mock_stop TERM

# Without a topic argument the clients create topics on first use; the tool also ends
# when its stdin reaches end of file, as when the test that started it dies.
kafka_mock_start "$MOCK" 1
printf 'k:v\n' | timeout 60 kcat -P -b "$KAFKA_BOOTSTRAP" -t auto -K: || fail "kcat -P to an auto-created topic"
assert_eq "k v" "$(timeout 60 kcat -C -b "$KAFKA_BOOTSTRAP" -t auto -e -q -f '%k %s\n')" "auto-created topic"
kafka_mock_stop eof

# Usage errors exit 1, naming the usage.
for args in "" "0" "2 topic" "2 topic 0" "x"; do
  # shellcheck disable=SC2086 # the words are the arguments
  expect_status 1 "$MOCK" $args
  assert_contains "$(cat "$WORK/stderr")" "usage: kafka_mock_cluster" "stderr of [$args]"
done
echo "kafka_mock: ok"
