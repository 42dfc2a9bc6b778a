#!/usr/bin/env bash
# history_check against the real CLI's output: a history recorded by a shell driver of
# `evlog append --atomic -p`, checked against `evlog tail --json` and `evlog groups --json`,
# passes; the same history against a log missing an acknowledged batch, or holding a
# definitely failed one, fails with exit status 1 and names the invariant.
source "$(dirname "$0")/../cli/lib.sh"
CHECK=${2:?usage: $0 PATH/TO/evlog PATH/TO/history_check}
LOG="$WORK/log"
HISTORY="$WORK/history.jsonl"
clock=0

# append_batch PRODUCER SEQ COUNT: one atomic batch of encoded payloads, recorded as acked.
append_batch() {
  local producer=$1 seq=$2 count=$3 start first i
  start=$((clock += 1))
  first=$(for ((i = 0; i < count; i++)); do "$CHECK" payload "$producer" "$seq" "$i" "$count" 40; done |
    evlog append --atomic -p "$LOG" | head -1)
  clock=$((clock + 1))
  printf '{"t":"append","producer":%d,"seq":%d,"events":%d,"outcome":"ack","first":%d,"start":%d,"end":%d}\n' \
    "$producer" "$seq" "$count" "$first" "$start" "$clock" >>"$HISTORY"
}

evlog append "$LOG" --max-event-bytes 4096 </dev/null
append_batch 1 0 3
append_batch 2 0 1
append_batch 1 1 2
# A batch with a payload over the log's maximum event size is refused whole: definitely failed.
start=$((clock += 1))
{ "$CHECK" payload 2 1 0 2 10; "$CHECK" payload 2 1 1 2 5000; } |
  expect_status 1 evlog append --atomic "$LOG"
clock=$((clock + 1))
echo "{\"t\":\"append\",\"producer\":2,\"seq\":1,\"events\":2,\"outcome\":\"fail\",\"start\":$start,\"end\":$clock}" >>"$HISTORY"
evlog tail --json --from beginning "$LOG" >"$WORK/tail.jsonl"
echo "{\"t\":\"seen\",\"consumer\":1,\"offset\":4,\"payload\":\"$(sed -n 5p "$WORK/tail.jsonl" | sed 's/.*"payload":"\([^"]*\)".*/\1/')\"}" >>"$HISTORY"
evlog ack "$LOG" -g billing 3
echo "{\"t\":\"group_ack\",\"group\":\"billing\",\"position\":4,\"outcome\":\"ack\",\"start\":$((clock += 1)),\"end\":$((clock += 1))}" >>"$HISTORY"
evlog groups --json "$LOG" >"$WORK/groups.jsonl"

"$CHECK" --log "$WORK/tail.jsonl" --groups "$WORK/groups.jsonl" "$HISTORY" >"$WORK/out" ||
  fail "a clean history was flagged: $(cat "$WORK/out")"
assert_contains "$(cat "$WORK/out")" "6 events in the log, 0 violations" "summary"

# The batch at offset 3 gone.
sed '4d' "$WORK/tail.jsonl" >"$WORK/lost.jsonl"
expect_status 1 "$CHECK" --log "$WORK/lost.jsonl" "$HISTORY"
assert_contains "$("$CHECK" --log "$WORK/lost.jsonl" "$HISTORY" || true)" "VIOLATION lost: append p2 s0" "loss"

# The failed batch present after all.
cp "$WORK/tail.jsonl" "$WORK/failed.jsonl"
for i in 0 1; do
  printf '{"offset":%d,"payload":"%s"}\n' $((6 + i)) "$("$CHECK" payload 2 1 $i 2 10)" >>"$WORK/failed.jsonl"
done
expect_status 1 "$CHECK" --log "$WORK/failed.jsonl" "$HISTORY"
assert_contains "$("$CHECK" --log "$WORK/failed.jsonl" "$HISTORY" || true)" "VIOLATION failed_present: append p2 s1" \
  "failed batch"

# A group position that went back.
echo '{"group":"billing","position":2}' >"$WORK/groups_back.jsonl"
assert_contains "$("$CHECK" --log "$WORK/tail.jsonl" --groups "$WORK/groups_back.jsonl" "$HISTORY" || true)" \
  "VIOLATION group_lost: group 'billing' ends at position 2" "group"
expect_status 2 "$CHECK" --log "$WORK/missing.jsonl" "$HISTORY"
echo "ok"
