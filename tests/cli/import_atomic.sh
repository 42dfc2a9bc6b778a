# import is all or nothing: a truncated, altered or foreign archive, or a bad JSON line,
# imports nothing into a new or an existing log; export -o replaces FILE atomically.
source "$(dirname "$0")/lib.sh"

count() { evlog tail "$1" --from beginning --format '%o\n' | wc -l | tr -d ' '; }
# flip FILE BYTE: inverts one byte.
flip() {
  python3 -c 'import sys; p, i = sys.argv[1], int(sys.argv[2]); d = bytearray(open(p, "rb").read()); d[i] ^= 0xff; open(p, "wb").write(d)' "$1" "$2"
}

SRC=$WORK/src
seq 1 300 | evlog append "$SRC" -K :
evlog ack "$SRC" -g g 99
evlog export "$SRC" --format archive -o "$WORK/good.arc"
evlog export "$SRC" -o "$WORK/good.ndjson"
SIZE=$(stat -c %s "$WORK/good.arc")

cp "$WORK/good.arc" "$WORK/altered.arc" && flip "$WORK/altered.arc" $((SIZE / 2))
head -c $((SIZE - 1)) "$WORK/good.arc" >"$WORK/truncated.arc"
head -c 50 "$WORK/good.arc" >"$WORK/truncated_header.arc"
cp "$WORK/good.arc" "$WORK/version.arc" && flip "$WORK/version.arc" 8
cp "$WORK/good.arc" "$WORK/trailer.arc" && flip "$WORK/trailer.arc" $((SIZE - 1))
cp "$SRC/00000000000000000000.seg" "$WORK/foreign.seg"
head -c 100 /dev/urandom >"$WORK/random.bin"
{ head -n 150 "$WORK/good.ndjson"; echo '{"offset":150,"timestamp":"bad"}'; } >"$WORK/bad_time.ndjson"
{ head -n 150 "$WORK/good.ndjson"; echo '{"payload": '; } >"$WORK/bad_json.ndjson"
{ head -n 10 "$WORK/good.ndjson"; sed -n 5p "$WORK/good.ndjson"; } >"$WORK/backwards.ndjson"

DST=$WORK/dst
printf 'existing\n' | evlog append "$DST"
evlog ack "$DST" -g g 0
before=$(evlog export "$DST"; evlog groups "$DST" --json | sed 's/,"lag".*//')

for input in altered.arc truncated.arc truncated_header.arc version.arc trailer.arc foreign.seg random.bin \
  bad_time.ndjson bad_json.ndjson; do
  expect_status 1 evlog import "$WORK/new" "$WORK/$input"
  assert_contains "$(cat "$WORK/stderr")" "nothing was imported" "$input: message"
  [[ ! -e $WORK/new ]] || fail "$input: a new log was created"
  compgen -G "$WORK/new.import-*" >/dev/null && fail "$input: a temporary directory was left behind"
  # The same from stdin into an existing log: nothing changes.
  expect_status 1 evlog import --append "$DST" <"$WORK/$input"
  assert_eq "$before" "$(evlog export "$DST"; evlog groups "$DST" --json | sed 's/,"lag".*//')" "$input: existing log"
done
# Offsets going backwards cannot be preserved (appended to a non-empty log, they are ignored).
expect_status 1 evlog import "$WORK/new" "$WORK/backwards.ndjson"
[[ ! -e $WORK/new ]] || fail "offsets going backwards: a new log was created"
expect_status 1 evlog import "$WORK/new" "$WORK/altered.arc"
assert_contains "$(cat "$WORK/stderr")" "archive:" "altered archive message"
expect_status 1 evlog import "$WORK/new" "$WORK/foreign.seg"
assert_contains "$(cat "$WORK/stderr")" "not an evlog archive" "foreign file message"
expect_status 1 evlog import "$WORK/new" "$WORK/bad_json.ndjson"
assert_contains "$(cat "$WORK/stderr")" "line 151" "bad JSON names its line"
expect_status 1 evlog import "$WORK/new" </dev/null
assert_contains "$(cat "$WORK/stderr")" "empty" "empty input"

# A directory that is not a log is left alone.
mkdir "$WORK/other" && touch "$WORK/other/file"
expect_status 1 evlog import "$WORK/other" "$WORK/good.arc"
assert_contains "$(cat "$WORK/stderr")" "not an evlog log" "non-log directory"

# A new log is built in batches across many segments (small segments, from an archive
# whose source has them too) and appears whole.
seq 1 5000 | evlog append --segment-bytes 16K "$WORK/many"
evlog export "$WORK/many" --format archive -o "$WORK/many.arc"
evlog import "$WORK/many_copy" <"$WORK/many.arc"
assert_eq "$(evlog export "$WORK/many")" "$(evlog export "$WORK/many_copy")" "many segments"
(($(ls "$WORK/many_copy"/*.seg | wc -l) > 2)) || fail "the copy should keep the small segments"

# Into an existing log everything is one batch, which must fit one of its segments.
SMALL=$WORK/small
echo x | evlog append --segment-bytes 4096 "$SMALL"
expect_status 1 evlog import --append "$SMALL" "$WORK/many.arc"
assert_contains "$(cat "$WORK/stderr")" "one atomic batch" "batch limit message"
assert_eq 1 "$(count "$SMALL")" "batch too large: nothing imported"

# export -o: the file is replaced by rename (a new inode), never left half-written.
OUT=$WORK/out.ndjson
echo old >"$OUT"
inode=$(stat -c %i "$OUT")
evlog export "$SRC" -o "$OUT"
assert_files_equal "$WORK/good.ndjson" "$OUT" "export -o content"
[[ $(stat -c %i "$OUT") != "$inode" ]] || fail "export -o wrote FILE in place instead of renaming a temporary file"
compgen -G "$OUT.tmp-*" >/dev/null && fail "export -o left a temporary file"
# A failing export (damaged source) leaves FILE as it was and no temporary file.
cp -r "$SRC" "$WORK/damaged"
flip "$WORK/damaged/00000000000000000000.seg" 200
expect_status 4 evlog export "$WORK/damaged" --format archive -o "$OUT"
assert_files_equal "$WORK/good.ndjson" "$OUT" "failed export -o keeps the old file"
compgen -G "$OUT.tmp-*" >/dev/null && fail "failed export -o left a temporary file"
echo PASS
