# Round trips through every input framing of `evlog append`.
source "$(dirname "$0")/lib.sh"

# Lines: an empty line is an empty event, a final line without newline is still an event.
LOG=$WORK/lines
printf 'one\n\nthree\nno newline' | evlog append "$LOG"
printf 'one\n\nthree\nno newline\n' >"$WORK/expected"
evlog tail "$LOG" >"$WORK/actual"
assert_files_equal "$WORK/expected" "$WORK/actual" "line framing"
assert_eq 4 "$(event_count "$LOG")" "events from 4 lines"

# Empty input appends nothing.
evlog append "$LOG" </dev/null
assert_eq 4 "$(event_count "$LOG")" "events after empty input"

# -0: NUL-delimited records may contain newlines.
LOG=$WORK/nul
printf 'a\nb\0c\0\0d' | evlog append -0 "$LOG"
evlog tail -0 "$LOG" >"$WORK/actual"
printf 'a\nb\0c\0\0d\0' >"$WORK/expected"
assert_files_equal "$WORK/expected" "$WORK/actual" "-0 framing"

# --raw: all of stdin is one event, newlines included.
LOG=$WORK/raw
printf 'x\ny\n\n' | evlog append --raw "$LOG"
assert_eq 1 "$(evlog tail "$LOG" --format '%S\n' | wc -l | tr -d ' ')" "--raw event count"
evlog tail "$LOG" --format '%s' >"$WORK/actual"
printf 'x\ny\n\n' >"$WORK/expected"
assert_files_equal "$WORK/expected" "$WORK/actual" "--raw payload"

# -K splits at the first delimiter; a record without it has no key. -H adds headers.
LOG=$WORK/keyed
printf 'k1::v1::more\nnokey\n::emptykey\n' | evlog append -K :: -H src=test -H a=b=c "$LOG"
assert_eq "$(printf '[k1][v1::more][src=test,a=b=c]\n[][nokey][src=test,a=b=c]\n[][emptykey][src=test,a=b=c]')" \
  "$(evlog tail "$LOG" --format '[%k][%s][%h]\n')" "-K and -H"
assert_eq "$(printf 'k1\nnull\n')" \
  "$(evlog tail "$LOG" -n 3 --json | head -2 | python3 -c '
import json, sys
for line in sys.stdin: print(json.loads(line)["key"] or "null")')" "missing key is null, not empty"
assert_eq '""' "$(evlog tail "$LOG" -n 1 --json | python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())["key"]))')" \
  "empty key stays an empty string"

# --json: our own envelope; offsets and timestamps in it are ignored.
LOG=$WORK/json
cat >"$WORK/in.json" <<'JSON'
{"offset":99,"timestamp":"2000-01-01T00:00:00.000000000Z","key":"k","headers":{"z":"1","a":"2"},"payload":"p1"}

{"key":null,"headers":{},"payload":"tab\there \"quoted\" \\ \u00e9"}
{"key":"YmluAA==","key_encoding":"base64","headers":{"aA==":"dg=="},"headers_encoding":"base64","payload":"/w==","payload_encoding":"base64"}
JSON
evlog append --json "$LOG" <"$WORK/in.json"
evlog tail "$LOG" --format '%o|%k|%s|%h\n' >"$WORK/actual"
printf '0|k|p1|z=1,a=2\n1||tab\there "quoted" \\ \xc3\xa9|\n2|bin\0|\xff|h=v\n' >"$WORK/expected"
assert_files_equal "$WORK/expected" "$WORK/actual" "--json envelope decoding"
assert_eq "" "$(evlog tail "$LOG" --until 2001-01-01)" "input timestamps are ignored"

# --json also reads kcat -J envelopes: headers as an alternating array, extra fields ignored.
LOG=$WORK/kcat
cat >"$WORK/in.kcat" <<'JSON'
{"topic":"t","partition":0,"offset":5,"tstype":"create","ts":1764410400000,"broker":1,"headers":["h1","v1","h2","v2"],"key":"kk","payload":"hello"}
{"topic":"t","partition":0,"offset":6,"tstype":"create","ts":1764410400001,"broker":1,"key":null,"payload":"world"}
JSON
evlog append --json -H extra=1 "$LOG" <"$WORK/in.kcat"
evlog tail "$LOG" --format '%o|%k|%s|%h\n' >"$WORK/actual"
printf '0|kk|hello|h1=v1,h2=v2,extra=1\n1||world|extra=1\n' >"$WORK/expected"
assert_files_equal "$WORK/expected" "$WORK/actual" "kcat -J envelope"

# -p prints each event's offset once appended, one per line, and nothing else on stdout.
LOG=$WORK/offsets
printf 'a\nb\n' | evlog append "$LOG" >/dev/null
assert_eq "$(printf '2\n3\n4')" "$(printf 'c\nd\ne\n' | evlog append -p "$LOG")" "-p offsets"
assert_eq "" "$(printf 'f\n' | evlog append "$LOG")" "stdout is empty without -p"
assert_eq "6" "$(printf 'g\n' | evlog append --sync always -p "$LOG")" "-p with --sync always"
assert_eq "7" "$(printf 'h\n' | evlog append --sync none -p "$LOG")" "-p with --sync none"
assert_eq "$(printf 'a\nb\nc\nd\ne\nf\ng\nh')" "$(evlog tail "$LOG")" "all events present"
echo PASS
