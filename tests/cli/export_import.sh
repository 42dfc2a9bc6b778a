# export and import: both formats round-trip a log exactly (offsets, timestamps, keys,
# headers, binary payloads, group positions); offsets are kept only where they can be.
source "$(dirname "$0")/lib.sh"

# Group positions without their update times (import sets those anew).
positions() { evlog groups "$1" --json | sed 's/,"lag".*//'; }
# Events in a log (payloads may hold newlines: count offsets).
count() { evlog tail "$1" --from beginning --format '%o\n' | wc -l | tr -d ' '; }

# A source log with binary payloads, keys (none, empty, binary), repeated headers, two
# commits with different timestamps, and three groups.
SRC=$WORK/src
python3 -c '
import base64, json
b = lambda x: base64.b64encode(x).decode()
print(json.dumps({"key": b(bytes(range(256))), "key_encoding": "base64", "payload": b(bytes(range(256))),
                  "payload_encoding": "base64", "headers": {b(b"\xff"): b(b"\x00")}, "headers_encoding": "base64"}))
print(json.dumps({"key": "", "headers": ["d", "1", "d", "2"], "payload": ""}))
print(json.dumps({"payload": "line\nbreak \u00e9"}))
' | evlog append --json "$SRC"
seq 1 20 | evlog append "$SRC" -K : -H origin=seq
evlog ack "$SRC" -g billing 2
evlog ack "$SRC" -g audit 22
evlog ack "$SRC" -g zero 0

# ndjson: the tail --json envelope, readable by jq and by append --json.
evlog export "$SRC" >"$WORK/src.ndjson"
evlog tail "$SRC" --json --from beginning >"$WORK/src.tail"
assert_files_equal "$WORK/src.tail" "$WORK/src.ndjson" "export --format ndjson is tail --json"
assert_eq 23 "$(jq -s length "$WORK/src.ndjson")" "jq reads every line"
evlog append --json "$WORK/appended" <"$WORK/src.ndjson"
assert_eq 23 "$(count "$WORK/appended")" "append --json reads the export"

# ndjson round trip into a new log: identical export.
evlog import "$WORK/from_ndjson" "$WORK/src.ndjson"
evlog export "$WORK/from_ndjson" >"$WORK/copy.ndjson"
assert_files_equal "$WORK/src.ndjson" "$WORK/copy.ndjson" "ndjson round trip"

# archive round trip through a pipe into a new log: events and group positions identical.
evlog export "$SRC" --format archive | evlog import "$WORK/from_archive"
evlog export "$WORK/from_archive" >"$WORK/copy2.ndjson"
assert_files_equal "$WORK/src.ndjson" "$WORK/copy2.ndjson" "archive round trip: events"
assert_eq "$(positions "$SRC")" "$(positions "$WORK/from_archive")" "archive round trip: group positions"
evlog export "$SRC" --format archive -o "$WORK/a1.arc"

# --no-groups: events only.
evlog import --no-groups "$WORK/no_groups" "$WORK/a1.arc"
assert_eq "" "$(evlog groups "$WORK/no_groups" --json)" "--no-groups"
assert_eq 23 "$(count "$WORK/no_groups")" "--no-groups imports the events"

# A range keeps its offsets: --from 10 --to 15 becomes a log starting at offset 10; groups
# are clamped into the range (billing 3 -> 10, audit 23 -> 16, zero 0 -> 10).
evlog export "$SRC" --format archive --from 10 --to 15 | evlog import "$WORK/range"
assert_eq "10 15" "$(evlog tail "$WORK/range" --from beginning --format '%o ' | awk '{print $1, $NF}')" "range offsets"
assert_eq "$(sed -n '11,16p' "$WORK/src.ndjson")" "$(evlog export "$WORK/range")" "range events"
assert_eq '{"group":"audit","position":16
{"group":"billing","position":10
{"group":"zero","position":10' "$(positions "$WORK/range")" "range group positions"
# ... and the imported log goes on from there.
echo next | evlog append "$WORK/range"
assert_eq 16 "$(evlog tail "$WORK/range" -n 1 --format '%o')" "appending after an import"

# --since/--until select offsets too (timestamps never decrease along a log).
T3=$(jq -r 'select(.offset == 3) | .timestamp' "$WORK/src.ndjson")
evlog export "$SRC" --since "$T3" --until "$T3" >"$WORK/since.ndjson"
assert_eq "$(sed -n '4,23p' "$WORK/src.ndjson")" "$(cat "$WORK/since.ndjson")" "--since/--until"

# Into an existing empty log whose next offset matches: offsets and groups are kept.
mkdir "$WORK/empty_dir"
evlog import "$WORK/empty_dir" "$WORK/a1.arc"
assert_files_equal "$WORK/src.ndjson" <(evlog export "$WORK/empty_dir") "import into an empty directory"
evlog append "$WORK/empty_log" </dev/null
evlog import "$WORK/empty_log" "$WORK/a1.arc"
assert_files_equal "$WORK/src.ndjson" <(evlog export "$WORK/empty_log") "import into an empty log"
assert_eq "$(positions "$SRC")" "$(positions "$WORK/empty_log")" "empty log: group positions"

# Into a non-empty log, with --append: appended with new offsets, said on stderr; groups
# untouched (without --append it is refused: import_refuses_non_empty.sh).
DST=$WORK/dst
printf 'x\ny\n' | evlog append "$DST"
expect_status 0 evlog import --append "$DST" "$WORK/a1.arc"
assert_contains "$(cat "$WORK/stderr")" "new offsets" "non-empty log note"
assert_eq 25 "$(count "$DST")" "non-empty log: events appended"
assert_eq "2 3" "$(evlog tail "$DST" --from 2 -c 2 --format '%o ' | xargs)" "non-empty log: new offsets"
assert_eq "$(evlog tail "$SRC" --from beginning --format '%k|%h|%s\0' | od -An -tx1)" \
  "$(evlog tail "$DST" --from 2 --format '%k|%h|%s\0' | od -An -tx1)" "non-empty log: contents"
assert_eq "" "$(evlog groups "$DST" --json)" "non-empty log: no groups imported"

# --preserve-offsets refuses where offsets cannot be kept, and imports nothing.
expect_status 1 evlog import --append --preserve-offsets "$DST" "$WORK/a1.arc"
assert_contains "$(cat "$WORK/stderr")" "offsets cannot be preserved" "--preserve-offsets message"
assert_eq 25 "$(count "$DST")" "--preserve-offsets imported nothing"
printf '{"payload":"no offset"}\n' >"$WORK/plain.ndjson"
expect_status 1 evlog import --preserve-offsets "$WORK/plain_new" "$WORK/plain.ndjson"
[[ ! -e $WORK/plain_new ]] || fail "--preserve-offsets created a log"
evlog import "$WORK/plain_new" "$WORK/plain.ndjson"
assert_eq "0 no offset" "$(evlog tail "$WORK/plain_new" --format '%o %s')" "JSON without offsets"

# Usage errors exit 2 and touch nothing.
expect_status 2 evlog export
expect_status 2 evlog export --format xml "$SRC"
expect_status 2 evlog export --from yesterday "$SRC"
expect_status 2 evlog import
expect_status 2 evlog import --bogus "$WORK/usage"
[[ ! -e $WORK/usage ]] || fail "a usage error must not create the log"
evlog --help | grep -q export || fail "--help does not list export"
evlog --help | grep -q import || fail "--help does not list import"
echo PASS
