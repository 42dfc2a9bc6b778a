# append --json and import need "payload" in every envelope (issue 11): a JSON object without
# it is not an envelope and is refused, naming the record, instead of being stored as an
# empty event, which key compaction would take for a tombstone deleting its key. A
# tombstone is spelt out as "payload":null, and tail --json/export round-trip through it.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
printf '{"key":"user-1","payload":"v1"}\n{"key":"user-1","name":"v2"}\n{"key":"user-1","payload":"v3"}\n' >"$WORK/in.json"
expect_status 1 evlog append --json "$LOG" <"$WORK/in.json"
assert_contains "$(cat "$WORK/stderr")" \
  'evlog: append: input record 2: not an event envelope: it has no "payload" member (an event without a payload, such as a tombstone, is written "payload":null)' \
  "missing payload message"
assert_contains "$(cat "$WORK/stderr")" "1 event appended before the error (offset 0)" "as for other bad input"
assert_eq "0 user-1 v1" "$(evlog tail "$LOG" --from beginning --format '%o %k %s\n')" "no empty event stored"
for line in '{}' '{"name":"x","value":1}' '{"key":"k","headers":{"h":"1"}}'; do
  expect_status 1 evlog append --json --atomic "$LOG" <<<"$line"
  assert_contains "$(cat "$WORK/stderr")" 'input record 1: not an event envelope' "[$line] refused"
done
assert_eq 1 "$(event_count "$LOG")" "events after the refusals"

# A deliberate tombstone: "payload":null is an empty payload.
printf '{"key":"user-1","payload":null}\n' | evlog append --json "$LOG"
assert_eq '1|user-1|0' "$(evlog tail "$LOG" -n 1 --format '%o|%k|%S')" "tombstone stored"

# export -> append --json is the identity, tombstones and empty unkeyed events included.
printf '{"key":"a","payload":"x"}\n{"key":"a","payload":null}\n{"key":null,"payload":""}\n' | evlog append --json "$WORK/src"
evlog export "$WORK/src" >"$WORK/src.ndjson"
assert_contains "$(sed -n 2p "$WORK/src.ndjson")" '"key":"a","headers":{},"payload":""' "how export writes a tombstone"
evlog append --json "$WORK/copy" <"$WORK/src.ndjson"
evlog export "$WORK/copy" >"$WORK/copy.ndjson"
assert_eq "$(sed 's/"timestamp":"[^"]*"//' "$WORK/src.ndjson")" "$(sed 's/"timestamp":"[^"]*"//' "$WORK/copy.ndjson")" \
  "export -> append --json -> export"

# import reads envelopes the same way.
printf '{"offset":0,"timestamp":"2026-01-01T00:00:00Z","payload":"a"}\n{"offset":1,"timestamp":"2026-01-01T00:00:00Z","key":"k"}\n' >"$WORK/no_payload.ndjson"
expect_status 1 evlog import "$WORK/imported" "$WORK/no_payload.ndjson"
assert_contains "$(cat "$WORK/stderr")" 'line 2: not an event envelope: it has no "payload" member' "import names the line"
[[ ! -e $WORK/imported ]] || fail "a refused import created the log"
echo PASS
