# CLI behaviour that format-spec/format.md now states (issue 7, "The spec"): a log
# interrupted during creation (§2), and the JSON lines of `tail --json` and `export` (§14).
source "$(dirname "$0")/lib.sh"

# §2: META without a segment (nor HEAD) is an empty log to readers; a writer completes it.
LOG=$WORK/created
echo a | evlog append "$LOG"
rm "$LOG"/*.seg "$LOG/HEAD"
assert_eq "" "$(evlog tail "$LOG" --from beginning)" "tail of a log interrupted during creation"
assert_contains "$(evlog stat "$LOG")" "the next event gets offset 0" "stat of a log interrupted during creation"
assert_eq "0" "$(echo b | evlog append "$LOG" -p)" "the first append completes the creation"
assert_eq "b" "$(evlog tail "$LOG")" "and is read back"

# §14: exact lines from an archive, whose offsets and timestamps are kept (format-spec §12.8).
VECTORS=$(dirname "$0")/../../format-spec/vectors
evlog import "$WORK/fixed" "$VECTORS/archive/events.archive" >/dev/null
expected='{"offset":1000,"timestamp":"2023-11-14T22:13:20.000000000Z","key":null,"headers":{},"payload":"hi"}
{"offset":1001,"timestamp":"2023-11-14T22:13:20.000001000Z","key":"k","headers":{"h":"v"},"payload":""}
{"offset":1003,"timestamp":"2023-11-14T22:13:20.000001000Z","key":"","headers":{},"payload":"AP8=","payload_encoding":"base64"}'
assert_eq "$expected" "$(evlog tail "$WORK/fixed" --from beginning --json)" "tail --json"
assert_eq "$expected" "$(evlog export "$WORK/fixed")" "export writes the same lines"

# Escapes, a key that is not UTF-8, repeated and non-UTF-8 header names; timestamps masked.
LOG=$WORK/json
printf 'k\x01"\\/\x7f\xc3\xa9\t:p\n' | evlog append "$LOG" -K :
printf 'x' | evlog append "$LOG" --raw -H a=1 -H a=2
printf '\xfe:y' | evlog append "$LOG" --raw -H $'b=\xff' -K :
out=$(evlog tail "$LOG" --from beginning --json)
stamps=$(sed -E 's/.*"timestamp":"([^"]*)".*/\1/' <<<"$out")
while read -r stamp; do
  [[ $stamp =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$ ]] || fail "timestamp form: $stamp"
done <<<"$stamps"
masked=$(sed -E 's/"timestamp":"[^"]*"/"timestamp":T/' <<<"$out")
expected=$(printf '%s\n' \
  '{"offset":0,"timestamp":T,"key":"k\u0001\"\\/'$'\x7f''é\t","headers":{},"payload":"p"}' \
  '{"offset":1,"timestamp":T,"key":null,"headers":{"a":"2"},"headers_all":["a","1","a","2"],"payload":"x"}' \
  '{"offset":2,"timestamp":T,"key":"/g==","key_encoding":"base64","headers":{"Yg==":"/w=="},"headers_encoding":"base64","payload":"y"}')
assert_eq "$expected" "$masked" "field order, escapes, header forms and base64"
echo PASS
