# Output forms of tail: payload lines, -0, --format, --json.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
printf 'k1=hello\nworld\n' | evlog append -K = -H h=1 -H g=2 "$LOG"
printf 'tab\there "q" back\\slash \x01 \xc3\xa9\n' | evlog append "$LOG"
printf '\xff\xfe\n' | evlog append -H 'bin=x' "$LOG"

evlog tail -0 "$LOG" >"$WORK/actual"
printf 'hello\0world\0tab\there "q" back\\slash \x01 \xc3\xa9\0\xff\xfe\0' >"$WORK/expected"
assert_files_equal "$WORK/expected" "$WORK/actual" "-0 output"

# -n 2: the last two events (the second-last's payload is 28 bytes).
evlog tail --format '%o:%k:%S:%h|\n' -n 2 "$LOG" >"$WORK/actual"
printf '2::28:|\n3::2:bin=x|\n' >"$WORK/expected"
assert_files_equal "$WORK/expected" "$WORK/actual" "-n 2"
printf '0:k1:hello:5:h=1,g=2%%\t|\\\n1::world:5:h=1,g=2%%\t|\\\n' >"$WORK/expected"
evlog tail --format '%o:%k:%s:%S:%h%%\t|\\\n' --from 0 -c 2 "$LOG" >"$WORK/actual"
assert_files_equal "$WORK/expected" "$WORK/actual" "--format tokens"
assert_eq "0,1,2,3," "$(evlog tail --format '%o,' "$LOG")" "--format adds no separator"
ms=$(evlog tail --format '%T' --from 0 -c 1 "$LOG")
[[ $ms =~ ^[0-9]{13}$ ]] || fail "%T is not milliseconds: $ms"
now_ms=$(($(date +%s) * 1000))
((ms <= now_ms + 1000 && ms > now_ms - 600000)) || fail "%T $ms is not close to now ($now_ms)"

evlog tail --json "$LOG" >"$WORK/json"
python3 - "$WORK/json" "$ms" <<'PY' || fail "--json output (see above)"
import base64, json, sys
from datetime import datetime, timezone
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
events = [json.loads(l) for l in lines]
assert [e["offset"] for e in events] == [0, 1, 2, 3], events
e0, e1, e2, e3 = events
assert list(e0.keys()) == ["offset", "timestamp", "key", "headers", "payload"], e0
assert e0["key"] == "k1" and e0["payload"] == "hello" and e0["headers"] == {"h": "1", "g": "2"}, e0
assert list(e0["headers"].keys()) == ["h", "g"], "headers keep their order"
assert e1["key"] is None, e1
assert e2["payload"] == 'tab\there "q" back\\slash \x01 \u00e9', e2
assert "\\u0001" in lines[2] and '\\"q\\"' in lines[2] and "\\t" in lines[2], lines[2]
assert e3["payload_encoding"] == "base64" and base64.b64decode(e3["payload"]) == b"\xff\xfe", e3
assert "payload_encoding" not in e2 and "key_encoding" not in e0 and "headers_encoding" not in e0
ts = e0["timestamp"]
assert len(ts) == 30 and ts[10] == "T" and ts[19] == "." and ts.endswith("Z"), ts
parsed = datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
assert int(parsed.timestamp()) * 1000 + int(ts[20:23]) == int(sys.argv[2]), (ts, sys.argv[2])
PY

# tail of an empty log prints nothing and succeeds; a missing log is an error.
evlog append "$WORK/empty" </dev/null
assert_eq "" "$(evlog tail "$WORK/empty")" "empty log"
expect_status 1 evlog tail "$WORK/missing"
assert_contains "$(cat "$WORK/stderr")" "evlog: tail:" "missing log message"
[[ ! -e "$WORK/missing" ]] || fail "tail must not create a log"

# A closed pipe ends tail quietly.
seq 1 200000 | evlog append "$WORK/big"
out=$(evlog tail --from 0 "$WORK/big" 2>"$WORK/stderr" | head -1)
assert_eq 1 "$out" "tail | head"
assert_eq "" "$(cat "$WORK/stderr")" "tail | head stderr"
echo PASS
