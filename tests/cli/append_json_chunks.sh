# append --json decodes its input a chunk at a time on two threads (cli/commands/
# decode_helper.h). Whichever thread decodes a bad record, the outcome is the serial one:
# records 1..N-1 appended in input order, offsets printed for exactly those, the error
# naming record N. A log of 64 KiB segments makes chunks of 8 KiB, so 6,000 envelopes are
# about a hundred chunks, taken by the helper and the session in turn; and a producer that
# pauses still has its events committed at once.
source "$(dirname "$0")/lib.sh"

TOTAL=6000
# envelopes FIRST LAST: one JSON envelope per line, with a key, a header, and an escaped
# JSON payload (the kind of text whose decoding the chunks share out).
envelopes() {
  awk -v first="$1" -v last="$2" 'BEGIN {
    for (i = first; i <= last; i++)
      printf "{\"key\":\"k%d\",\"headers\":{\"n\":\"%d\"},\"payload\":\"{\\\"id\\\":%d,\\\"pad\\\":\\\"%s\\\"}\"}\n",
             i % 7, i, i, substr("abcdefghijklmnopqrstuvwxyz0123456789", 1, 1 + i % 36)
  }'
}
# expected_payloads FIRST LAST: what `tail` prints of those envelopes.
expected_payloads() {
  awk -v first="$1" -v last="$2" 'BEGIN {
    for (i = first; i <= last; i++)
      printf "{\"id\":%d,\"pad\":\"%s\"}\n", i, substr("abcdefghijklmnopqrstuvwxyz0123456789", 1, 1 + i % 36)
  }'
}
new_log() {
  rm -rf "$1"
  evlog append --segment-bytes 64K "$1" </dev/null
}

# Every record good: all of them, in order, with their keys and headers.
envelopes 1 "$TOTAL" >"$WORK/all.json"
new_log "$WORK/all"
evlog append --json "$WORK/all" <"$WORK/all.json" || fail "append --json of $TOTAL envelopes"
[[ $(evlog stat --json "$WORK/all" | python3 -c 'import json,sys; print(json.load(sys.stdin)["segments"])') -gt 2 ]] ||
  fail "the log should span several 64 KiB segments"
cmp -s <(expected_payloads 1 "$TOTAL") <(evlog tail "$WORK/all" --from beginning) || fail "payloads of $TOTAL envelopes"
cmp -s <(awk -v n="$TOTAL" 'BEGIN { for (i = 1; i <= n; i++) printf "k%d %d\n", i % 7, i }') \
  <(evlog tail "$WORK/all" --from beginning --json | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e["key"], e["headers"]["n"])') || fail "keys and headers of $TOTAL envelopes"

# A bad record at N, for N spread over the first chunk, chunks of either thread, and the
# last record: exit 1 naming it, records 1..N-1 appended and their offsets printed.
for bad in 1 2 40 41 97 500 1234 2999 3000 4321 5999 6000; do
  { envelopes 1 $((bad - 1)); echo '{"payload":"broken'; envelopes $((bad + 1)) "$TOTAL"; } >"$WORK/in.json"
  new_log "$WORK/bad$bad"
  status=0
  evlog append --json -p "$WORK/bad$bad" <"$WORK/in.json" >"$WORK/offsets" 2>"$WORK/stderr" || status=$?
  assert_eq 1 "$status" "exit status with a bad record at $bad"
  assert_contains "$(cat "$WORK/stderr")" "input record $bad: " "the error names record $bad"
  cmp -s <(expected_payloads 1 $((bad - 1))) <(evlog tail "$WORK/bad$bad" --from beginning) ||
    fail "bad record at $bad: the log holds $(event_count "$WORK/bad$bad") events, not records 1..$((bad - 1))"
  cmp -s <(seq 0 $((bad - 2))) "$WORK/offsets" ||
    fail "bad record at $bad: printed $(wc -l <"$WORK/offsets") offsets, not 0..$((bad - 2))"
done

# Blank lines between envelopes carry no event but count as records: the error names the
# bad envelope's line.
{ envelopes 1 2999 | awk '{ print; if (NR % 100 == 0) print "" }'; echo '{"payload":1e999}'; envelopes 3000 "$TOTAL"; } >"$WORK/blank.json"
new_log "$WORK/blank"
expect_status 1 evlog append --json "$WORK/blank" <"$WORK/blank.json"
assert_contains "$(cat "$WORK/stderr")" "input record 3029: invalid JSON" "the bad envelope after 29 blank lines"
cmp -s <(expected_payloads 1 2999) <(evlog tail "$WORK/blank" --from beginning) || fail "records before the bad one, blank lines between"

# A record over the log's maximum event size, between chunks of good ones.
{ envelopes 1 2500; python3 -c 'print("{\"payload\":\"" + "x" * 3000 + "\"}")'; envelopes 2502 "$TOTAL"; } >"$WORK/big.json"
rm -rf "$WORK/big"
evlog append --segment-bytes 64K --max-event-bytes 2048 "$WORK/big" </dev/null
expect_status 1 evlog append --json "$WORK/big" <"$WORK/big.json"
assert_contains "$(cat "$WORK/stderr")" "input record 2501: event of 3006 bytes (payload, key and headers encoded) exceeds the log's maximum event size of 2048 bytes (see --max-event-bytes)" \
  "a record over the maximum event size"
cmp -s <(expected_payloads 1 2500) <(evlog tail "$WORK/big" --from beginning) || fail "records before the large one"

# A chunk's batch never outgrows a segment, which would refuse a good record (found by a
# review): a large record after a small one in a log of 8 KiB segments, and a 3,000-byte
# --header added to every event of a log of 1 MiB segments. Both are appended whole, as
# the serial path (--sync always) appends them.
rm -rf "$WORK/small"
evlog append --segment-bytes 8K "$WORK/small" </dev/null
python3 -c 'print("{\"payload\":\"" + "a" * 500 + "\"}"); print("{\"payload\":\"" + "b" * 7600 + "\"}")' >"$WORK/small.json"
expect_status 0 evlog append --json "$WORK/small" <"$WORK/small.json"
assert_eq "500 7600" "$(evlog tail "$WORK/small" --from beginning --format '%S ' | xargs)" "a large record after a small one"
rm -rf "$WORK/header"
evlog append --segment-bytes 1M "$WORK/header" </dev/null
big=$(head -c 3000 /dev/zero | tr '\0' v)
expect_status 0 evlog append --json -H "big=$big" "$WORK/header" <"$WORK/all.json"
cmp -s <(expected_payloads 1 "$TOTAL") <(evlog tail "$WORK/header" --from beginning) || fail "payloads with a large --header"
assert_eq 3000 "$(evlog tail "$WORK/header" -n 1 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["headers"]["big"]))')" \
  "the --header on the last event"

# A producer that pauses: what it wrote is committed while it waits, as when decoding is
# serial (the chunk being filled is decoded and committed; it is smaller than a chunk).
new_log "$WORK/paused"
mkfifo "$WORK/pipe"
evlog append --json "$WORK/paused" <"$WORK/pipe" 2>"$WORK/paused.stderr" &
appender=$!
exec {producer}>"$WORK/pipe"
envelopes 1 3000 >&$producer
wait_until 30 "the events written before the pause" bash -c "[[ \$(\"$EVLOG\" tail \"$WORK/paused\" --from beginning | wc -l) == 3000 ]]"
envelopes 3001 "$TOTAL" >&$producer
exec {producer}>&-
wait "$appender" || fail "append from a pausing producer: $(cat "$WORK/paused.stderr")"
cmp -s <(expected_payloads 1 "$TOTAL") <(evlog tail "$WORK/paused" --from beginning) || fail "events from a pausing producer"
echo "append_json_chunks: ok"
