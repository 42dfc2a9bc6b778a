# Payloads, keys and headers with every byte value survive append and tail, and
# `tail --json | append --json` copies a log byte-exact.
source "$(dirname "$0")/lib.sh"

python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$WORK/all_bytes"

# --raw: one event holding bytes 0..255.
LOG=$WORK/raw
evlog append --raw "$LOG" <"$WORK/all_bytes"
evlog tail "$LOG" --format '%s' >"$WORK/actual"
assert_files_equal "$WORK/all_bytes" "$WORK/actual" "--raw all byte values"
assert_eq 256 "$(evlog tail "$LOG" --format '%S')" "--raw payload size"

# -0: every byte but NUL inside records (newline included), plus single-byte events.
LOG=$WORK/nul
python3 -c '
import sys
out = sys.stdout.buffer
out.write(bytes(range(1, 256)) + b"\0")
for b in range(1, 256): out.write(bytes([b]) + b"\0")
out.write(b"\xff\xfe invalid utf-8 \x80\0")
out.write("valid utf-8 \u00e9\u20ac\U0001F600\0".encode())
out.write(b"\0")  # an empty event
' >"$WORK/nul_input"
evlog append -0 "$LOG" <"$WORK/nul_input"
evlog tail -0 "$LOG" --from beginning >"$WORK/actual"
assert_files_equal "$WORK/nul_input" "$WORK/actual" "-0 round trip"

# Keys and headers with arbitrary bytes, from a JSON envelope.
python3 -c '
import base64, json
b = lambda x: base64.b64encode(x).decode()
print(json.dumps({"key": b(bytes(range(256))), "key_encoding": "base64",
                  "headers": {b(b"\xff\x00name"): b(bytes(range(255, -1, -1))), b(b"plain"): b(b"v")},
                  "headers_encoding": "base64", "payload": "text \u0001 \u00e9"}))
print(json.dumps({"key": "", "headers": {"dup": "1"}, "payload": ""}))
' | evlog append --json "$LOG"

# Repeated header names survive too: "headers" stays an object (the last value of a name),
# and "headers_all" lists every header in order, which is what append --json reads back.
printf 'dups\n' | evlog append -H d=1 -H d=2 -H e=3 "$LOG"
evlog tail --json -n 1 "$LOG" | grep -q '"headers":{"d":"2","e":"3"},"headers_all":\["d","1","d","2","e","3"\]' ||
  fail "repeated header names: $(evlog tail --json -n 1 "$LOG")"

# Copy through the JSON envelope into a second log; both must print identically.
COPY=$WORK/copy
evlog tail --json --from beginning "$LOG" >"$WORK/log.json"
grep -q '"payload_encoding":"base64"' "$WORK/log.json" || fail "invalid UTF-8 payloads must be base64"
grep -q '"key_encoding":"base64"' "$WORK/log.json" || fail "invalid UTF-8 keys must be base64"
grep -q '"headers_encoding":"base64"' "$WORK/log.json" || fail "invalid UTF-8 headers must be base64"
python3 -c '
import json, sys
for line in open(sys.argv[1]): json.loads(line)  # every line is valid JSON
' "$WORK/log.json" || fail "tail --json printed invalid JSON"
evlog append --json "$COPY" <"$WORK/log.json"
for format in '%k|%h|%s\0' '%o %S\n'; do
  evlog tail --format "$format" --from beginning "$LOG" >"$WORK/original.out"
  evlog tail --format "$format" --from beginning "$COPY" >"$WORK/copy.out"
  assert_files_equal "$WORK/original.out" "$WORK/copy.out" "copy via --json, format $format"
done
# The copy's JSON differs from the original's only in the timestamps.
evlog tail --json --from beginning "$COPY" >"$WORK/copy.json"
strip_time() { sed 's/"timestamp":"[^"]*"//' "$1"; }
assert_eq "$(strip_time "$WORK/log.json")" "$(strip_time "$WORK/copy.json")" "JSON of the copy"

# Also through a pipe, as documented: tail --json | append --json.
evlog tail --json --from beginning "$LOG" | evlog append --json "$WORK/piped"
evlog tail --format '%k|%h|%s\0' --from beginning "$LOG" >"$WORK/original.out"
evlog tail --format '%k|%h|%s\0' --from beginning "$WORK/piped" >"$WORK/piped.out"
assert_files_equal "$WORK/original.out" "$WORK/piped.out" "tail --json | append --json"
echo PASS
