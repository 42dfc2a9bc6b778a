# append --json and import on hostile or lossy JSON: a number a double cannot hold, deep
# nesting, repeated names and big integers get an error naming the line (exit 1), or reach
# the log byte for byte; never a crash (issue 7, items 14 and 19).
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
printf '{"payload":"seed"}\n' | evlog append --json "$LOG"

# expect_bad_json INPUT MESSAGE: exit 1, the record named, nothing appended.
expect_bad_json() {
  printf '{"payload":"ok"}\n%s\n' "$1" >"$WORK/in.json"
  expect_status 1 evlog append --json --atomic "$LOG" <"$WORK/in.json"
  assert_contains "$(cat "$WORK/stderr")" "input record 2: $2" "append --json of [${1:0:40}]"
  assert_eq 1 "$(event_count "$LOG")" "events after refusing [${1:0:40}]"
}
expect_bad_json '{"payload":1e999}' "invalid JSON at column 16: number overflow parsing '1e999'"
expect_bad_json '{"topic":-1e999,"payload":"x"}' "invalid JSON at column 15: number overflow"
expect_bad_json '{"payload":"a","payload":"b"}' 'invalid JSON at column 16: member "payload" appears twice'
expect_bad_json '{"key":"a","headers":{"h":"1","h":"2"}}' 'invalid JSON at column 31: member "h" appears twice'
expect_bad_json '{"payload":"x","k\u0065y":"a","key":"b"}' 'invalid JSON at column 31: member "key" appears twice'

# 100,000 levels of nesting: stored as given (it is valid JSON), without recursion.
python3 -c 'print("{\"payload\":" + "[" * 100000 + "]" * 100000 + "}")' >"$WORK/deep.json"
evlog append --json "$LOG" <"$WORK/deep.json" 2>"$WORK/stderr" || fail "deep nesting: $(cat "$WORK/stderr")"
assert_eq 200000 "$(evlog tail "$LOG" -n 1 --format '%S')" "payload size of the deeply nested event"
python3 -c 'print("{\"payload\":" + "[" * 100000 + "]" * 99999 + "}")' >"$WORK/deep.json"
expect_status 1 evlog append --json "$LOG" <"$WORK/deep.json"
assert_contains "$(cat "$WORK/stderr")" "input record 1: invalid JSON" "unbalanced deep nesting"

# A structured payload reaches the log as the bytes given: no float rewriting, no
# reformatting.
printf '%s\n' '{"payload":123456789012345678901234567890}' '{"payload": {"b" : [1.50, 2e3], "a":null} }' |
  evlog append --json "$LOG"
assert_eq "$(printf '%s\n' 123456789012345678901234567890 '{"b" : [1.50, 2e3], "a":null}')" \
  "$(evlog tail "$LOG" -n 2)" "structured payloads kept byte for byte"

# import reads envelopes the same way, and names the line.
printf '{"offset":0,"timestamp":"2026-01-01T00:00:00Z","payload":"a"}\n{"payload":"b","payload":"c"}\n' >"$WORK/dup.json"
expect_status 1 evlog import "$WORK/imported" "$WORK/dup.json"
assert_contains "$(cat "$WORK/stderr")" 'line 2: invalid JSON at column 16: member "payload" appears twice' "import of a repeated name"
printf '{"offset":18446744073709551616,"timestamp":"2026-01-01T00:00:00Z","payload":"a"}\n' >"$WORK/big.json"
expect_status 1 evlog import "$WORK/imported" "$WORK/big.json"
assert_contains "$(cat "$WORK/stderr")" "line 1: offset must be an unsigned integer below 2^64" "import of an offset >= 2^64"
[[ ! -e $WORK/imported ]] || fail "a failed import created the log"
echo PASS
