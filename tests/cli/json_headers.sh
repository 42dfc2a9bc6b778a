# The JSON envelope's shape does not change with the data (issue 11): "headers" is always an
# object of strings, so `jq .headers.a` works on every line; a repeated header name adds
# "headers_all" with every header in order, and the envelope still round-trips byte-exact.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
printf 'none' | evlog append "$LOG" --raw
printf 'one' | evlog append "$LOG" --raw -H a=1
printf 'twice' | evlog append "$LOG" --raw -H a=1 -H a=2
printf 'mixed' | evlog append "$LOG" --raw -H a=1 -H b=2 -H a=3
printf 'binary' | evlog append "$LOG" --raw -H $'a=\xff' -H $'a=\xfe'
# The form evlog wrote before (kcat's flat array) and kcat's own envelope are still read.
printf '%s\n' '{"headers":["a","1","a","2"],"payload":"old"}' | evlog append "$LOG" --json

check_shapes() {  # FILE: every line's headers is an object of strings; headers_all only for repeats
  python3 - "$1" <<'PY'
import base64, json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
expected = {  # payload: (headers, headers_all or None)
    "none": ({}, None),
    "one": ({"a": "1"}, None),
    "twice": ({"a": "2"}, ["a", "1", "a", "2"]),
    "mixed": ({"a": "3", "b": "2"}, ["a", "1", "b", "2", "a", "3"]),
    "binary": ({"YQ==": "/g=="}, ["YQ==", "/w==", "YQ==", "/g=="]),
    "old": ({"a": "2"}, ["a", "1", "a", "2"]),
}
assert len(lines) == len(expected), len(lines)
for line in lines:
    headers, headers_all = expected[line["payload"]]
    assert isinstance(line["headers"], dict), line
    assert all(isinstance(v, str) for v in line["headers"].values()), line
    assert line["headers"] == headers, (line, headers)
    assert line.get("headers_all") == headers_all, (line, headers_all)
    keys = list(line)
    if headers_all is not None:
        assert keys[keys.index("headers") + 1] == "headers_all", keys
    assert ("headers_encoding" in line) == (line["payload"] == "binary"), line
PY
}
evlog tail --json --from beginning "$LOG" >"$WORK/tail.jsonl"
check_shapes "$WORK/tail.jsonl" || fail "tail --json shapes: $(cat "$WORK/tail.jsonl")"
evlog export "$LOG" >"$WORK/export.jsonl"
check_shapes "$WORK/export.jsonl" || fail "export shapes: $(cat "$WORK/export.jsonl")"
# Every header, in order, survives tail --json | append --json, byte-exact.
evlog append "$WORK/copy" --json <"$WORK/tail.jsonl"
mask() { sed -E 's/"timestamp":"[^"]*"/"timestamp":T/' "$1"; }
evlog tail --json --from beginning "$WORK/copy" >"$WORK/copy.jsonl"
assert_eq "$(mask "$WORK/tail.jsonl")" "$(mask "$WORK/copy.jsonl")" "round trip through append --json"
assert_eq "a=1,b=2,a=3" "$(evlog tail --from 3 -c 1 --format '%h' "$WORK/copy")" "order of repeated headers"
# headers_all wins over headers; a malformed one is bad input, as a malformed headers is.
printf '%s\n' '{"headers":{"a":"9"},"headers_all":["a","1","a","2"],"payload":"p"}' | evlog append "$WORK/copy" --json
assert_eq "a=1,a=2" "$(evlog tail -n 1 --format '%h' "$WORK/copy")" "headers_all is the complete list"
expect_status 1 evlog append "$WORK/copy" --json <<<'{"headers":{},"headers_all":{"a":"1"},"payload":"p"}'
assert_contains "$(cat "$WORK/stderr")" "headers_all must be an array" "headers_all as an object"
echo "json_headers: ok"
