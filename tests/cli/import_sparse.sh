# A key-compacted log whose surviving offsets are sparse (no two consecutive for whole
# segments) survives the documented backup/restore round trip: export --format archive,
# import, same events (issue 7, item 5).
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
# Each key written twice in a row: keeping the latest leaves only the odd offsets.
for i in $(seq 0 999); do echo "k$((i / 2)):value-$i"; done | evlog append "$LOG" --segment-bytes 4096 -K :
evlog compact "$LOG" --keep-latest-per-key >/dev/null
assert_eq "1 3 5 7" "$(evlog tail "$LOG" --from beginning -c 4 --format '%o ' | sed 's/ $//')" "sparse offsets after compaction"

evlog export "$LOG" --format archive -o "$WORK/backup.evlog"
evlog import "$WORK/restored" "$WORK/backup.evlog" 2>"$WORK/stderr" || fail "import: $(cat "$WORK/stderr")"
evlog tail "$LOG" --from beginning --json >"$WORK/before.json"
evlog tail "$WORK/restored" --from beginning --json >"$WORK/after.json"
assert_files_equal "$WORK/before.json" "$WORK/after.json" "events after the round trip"
evlog verify "$WORK/restored" >/dev/null 2>"$WORK/stderr" || fail "verify of the restored log: $(cat "$WORK/stderr")"

# The restored log continues after the last offset.
assert_eq 1000 "$(echo next | evlog append "$WORK/restored" -p)" "offset of the next append"
echo PASS
