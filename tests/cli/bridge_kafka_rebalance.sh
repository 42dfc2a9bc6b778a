# evlog bridge --from Kafka across consumer group rebalances (format-spec/bridge.md §B3),
# against librdkafka's mock cluster:
#   - two bridges in one group, the second started while the first is mid-stream (-f),
#     which rebalances the group under the first: each log holds every message it has at
#     most once, both together hold every message, neither bridge ends, and the group's
#     offsets end at the topic's end (no commit moved them backwards);
#   - commits refused because the group moved on (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION,
#     UNKNOWN_MEMBER_ID, injected by the mock) are noted, not fatal; the messages they
#     covered, received again, are not appended twice.
# Payloads are unique, so a duplicate is a repeated payload.
# Usage: bridge_kafka_rebalance.sh PATH/TO/evlog PATH/TO/evlog_kafka_mock_cluster
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"
MOCK=${2:?usage: $0 PATH/TO/evlog PATH/TO/evlog_kafka_mock_cluster}

kafka_mock_start "$MOCK" 1 orders 4

payloads() { evlog tail "$1" --from beginning --format '%s\n'; }
# The payloads of LOG... that more than one event of the same log carries.
repeated() {
  local log
  for log in "$@"; do payloads "$log" | sort | uniq -d | sed "s|^|$(basename "$log"): |"; done
}
distinct_in() { cat "$@" 2>/dev/null | sort -u | wc -l; }
holds_all() {
  local log
  for log in "${@:2}"; do [[ -d "$log" ]] && payloads "$log"; done >"$WORK/union"
  [[ $(distinct_in "$WORK/union") == "$1" ]]
}
# produce TOPIC FIRST COUNT [PAUSE]: messages m<FIRST>..m<FIRST+COUNT-1>, keyed over 16 keys,
# in bursts of 50 with PAUSE seconds between them; the payloads go to $WORK/produced.TOPIC too.
produce() {
  local topic=$1 first=$2 count=$3 pause=${4:-0} i
  for ((i = first; i < first + count; i++)); do
    printf 'k%d:m%06d\n' $((i % 16)) "$i"
    if [[ $pause != 0 ]] && (((i + 1) % 50 == 0)); then sleep "$pause"; fi
  done | tee -a "$WORK/produced.$topic.keyed" | timeout 120 kcat -P -b "$KAFKA_BOOTSTRAP" -t "$topic" -K: ||
    fail "kcat -P -t $topic"
}
# stream TOPIC FIRST CMD...: as produce with a pause of 0.1 s, in bursts of 50 until CMD
# succeeds, then 20 bursts more (at most 600 in all, a minute); the first message sent after
# CMD succeeded goes in $WORK/stream.TOPIC.after.
stream() {
  local topic=$1 i=$2 bursts=0 after=0 n
  shift 2
  while ((bursts < 600 && after < 20)); do
    if ((after > 0)); then
      after=$((after + 1))
    elif "$@"; then
      echo "$i" >"$WORK/stream.$topic.after"
      after=1
    fi
    for ((n = 0; n < 50; n++, i++)); do printf 'k%d:m%06d\n' $((i % 16)) "$i"; done
    bursts=$((bursts + 1))
    sleep 0.1
  done | tee -a "$WORK/produced.$topic.keyed" | timeout 120 kcat -P -b "$KAFKA_BOOTSTRAP" -t "$topic" -K: ||
    fail "kcat -P -t $topic"
}
produced() { cut -d: -f2 "$WORK/produced.$1.keyed" | sort -u; }
stop_bridge() {
  local pid=$1 name=$2 status=0
  kill -TERM "$pid"
  wait "$pid" || status=$?
  assert_eq 143 "$status" "exit status of bridge $name stopped by SIGTERM ($(cat "$WORK/$name.err"))"
}

# --- Two members, the second joining mid-stream ----------------------------------------
A=$WORK/a
B=$WORK/b
produce orders 0 1000
"$EVLOG" bridge "$A" --from "kafka://$KAFKA_BOOTSTRAP/orders" -g pair -f "${KAFKA_QUICK_GROUP[@]}" 2>"$WORK/a.err" &
bridge_a=$!
BACKGROUND_PIDS+=("$bridge_a")
has_events() { [[ -d "$1" && $(event_count "$1") -ge $2 ]]; }
wait_until 60 "bridge a appends the first 1000 messages" has_events "$A" 1000
# A steady stream while b joins and the group rebalances (about 3 s in the mock), so that a
# holds fetched, uncommitted messages when its partitions are revoked: b starts once a
# appends from the stream, which goes on until b has appended messages (the rebalance is
# over) and for 2 s after, however long each step takes.
stream orders 1000 has_events "$B" 1 &
producer=$!
BACKGROUND_PIDS+=("$producer")
wait_until 60 "bridge a appends the stream" has_events "$A" 1001
"$EVLOG" bridge "$B" --from "kafka://$KAFKA_BOOTSTRAP/orders" -g pair -f "${KAFKA_QUICK_GROUP[@]}" 2>"$WORK/b.err" &
bridge_b=$!
BACKGROUND_PIDS+=("$bridge_b")
wait "$producer" || fail "the producer failed"
sent=$(produced orders | wc -l)
wait_until 60 "bridges a and b hold all $sent messages" holds_all "$sent" "$A" "$B"
kill -0 "$bridge_a" 2>/dev/null || fail "bridge a ended: $(cat "$WORK/a.err")"
stop_bridge "$bridge_a" a
stop_bridge "$bridge_b" b
dups=$(repeated "$A" "$B")
[[ -z "$dups" ]] || fail "messages appended twice to one log: $(echo "$dups" | head -5) ($(echo "$dups" | wc -l) in all)"
# Both took part: b joined before the stream ended, and a went on after the rebalance (it
# appended messages sent once b had appended some).
[[ $(event_count "$B") -gt 0 ]] || fail "bridge b received nothing: the stream ended before the rebalance"
after=$(cat "$WORK/stream.orders.after" 2>/dev/null || echo 1000000)
a_after=$(payloads "$A" | awk -v after="$after" 'substr($0, 2) + 0 >= after' | wc -l)
[[ $a_after -gt 0 ]] || fail "bridge a took nothing after b joined: $(event_count "$A") messages, none from m$after on"
echo "rebalance: a holds $(event_count "$A") ($a_after sent after b joined), b $(event_count "$B") of $sent"
# The group's offsets are at the topic's end: a new member finds nothing new.
expect_status 0 evlog bridge "$WORK/c" --from "kafka://$KAFKA_BOOTSTRAP/orders" -g pair "${KAFKA_QUICK_GROUP[@]}"
assert_contains "$(cat "$WORK/stderr")" "nothing new from kafka://" "a third member after the rebalance"

# --- Commits refused because the group moved on ----------------------------------------
# Kafka error codes: 27 REBALANCE_IN_PROGRESS, 22 ILLEGAL_GENERATION, 25 UNKNOWN_MEMBER_ID;
# API key 8 is OffsetCommit. librdkafka rejoins the group after the last two, and the
# partition comes back from its last committed offset, below what the log holds.
S=$WORK/single
produce single 0 100
"$EVLOG" bridge "$S" --from "kafka://$KAFKA_BOOTSTRAP/single" -g refused -f "${KAFKA_QUICK_GROUP[@]}" 2>"$WORK/single.err" &
bridge_s=$!
BACKGROUND_PIDS+=("$bridge_s")
wait_until 60 "the first 100 messages appended" has_events "$S" 100
total=100
for code in 27 22 25; do
  kafka_mock_control "errors 8 $code 1"
  produce single "$total" 100
  total=$((total + 100))
  wait_until 60 "messages after OffsetCommit error $code" has_events "$S" "$total"
  kill -0 "$bridge_s" 2>/dev/null || fail "the bridge ended on OffsetCommit error $code: $(cat "$WORK/single.err")"
done
# One more burst after the rejoins: it is appended once, and its commit covers all.
produce single "$total" 100
total=$((total + 100))
wait_until 60 "the last burst appended" has_events "$S" "$total"
stop_bridge "$bridge_s" single
assert_contains "$(cat "$WORK/single.err")" "the group is rebalancing" "the note on a refused commit"
dups=$(repeated "$S")
[[ -z "$dups" ]] || fail "messages appended twice after refused commits: $(echo "$dups" | head -5)"
payloads "$S" | sort >"$WORK/single.payloads"
produced single >"$WORK/single.produced"
assert_files_equal "$WORK/single.produced" "$WORK/single.payloads" "the log after refused commits"
expect_status 0 evlog bridge "$S" --from "kafka://$KAFKA_BOOTSTRAP/single" -g refused "${KAFKA_QUICK_GROUP[@]}"
assert_contains "$(cat "$WORK/stderr")" "nothing new from kafka://" "after refused commits"

kafka_mock_stop TERM
echo "bridge_kafka_rebalance: ok"
