# verify agrees with the readers, with `verify --repair` and with stat (issue 7, item 8):
# pre-1970 timestamps are legal; damage followed by a checksum-valid frame above the committed
# end is corruption for both verify and repair; damage is named with the offsets it affects;
# a log without META is corruption (exit 4); stat counts the events compaction left.
source "$(dirname "$0")/lib.sh"

SEG0=$(printf '%020d.seg' 0)

# Pre-1970: `evlog import` writes them, so verify and tail must take them.
LOG=$WORK/old
printf '%s\n' '{"offset":0,"timestamp":"1960-01-01T00:00:00Z","key":null,"headers":{},"payload":"a"}' \
              '{"offset":1,"timestamp":"1969-12-31T23:59:59.5Z","key":null,"headers":{},"payload":"b"}' >"$WORK/old.jsonl"
evlog import "$LOG" "$WORK/old.jsonl"
echo c | evlog append "$LOG"
evlog verify "$LOG" >"$WORK/out" || fail "verify of pre-1970 events: $(cat "$WORK/out")"
assert_contains "$(cat "$WORK/out")" "ok: no problem found" "pre-1970 verify"
assert_eq "a b c" "$(evlog tail "$LOG" --format '%s ' | sed 's/ $//')" "pre-1970 tail"
evlog verify --repair --force "$LOG" >/dev/null
[[ ! -d $LOG/quarantine ]] || fail "--repair --force quarantined valid pre-1970 data"

# Garbage followed by a checksum-valid frame above the committed end: what a lost HEAD write
# leaves when an earlier frame was also damaged. Recovery must not cut it; verify says so too.
LOG=$WORK/gap
echo a | evlog append "$LOG"
cp "$LOG/HEAD" "$WORK/head.a"
echo b | evlog append "$LOG"
echo c | evlog append "$LOG"
cp "$WORK/head.a" "$LOG/HEAD"
B_AT=$(( $(stat -c %s "$LOG/$SEG0") - 2 * 72 ))  # frames of one-byte events are 72 bytes
printf '\xff' | dd of="$LOG/$SEG0" bs=1 seek=$((B_AT + 60)) conv=notrunc 2>/dev/null
out=$(evlog verify "$LOG" || true)
assert_contains "$out" "damaged: $SEG0 at byte $B_AT: checksum mismatch beyond the committed end" "verify names it"
assert_contains "$out" "(offsets 1..1)" "verify names the offsets up to the next valid frame"
expect_status 4 evlog verify --repair "$LOG" >/dev/null

# The damaged frame's offsets, not the segment's base.
LOG=$WORK/mid
for i in $(seq 0 19); do echo "e$i" | evlog append "$LOG"; done
printf '\xff' | dd of="$LOG/$SEG0" bs=1 seek=$((64 + 9 * 72 + 60)) conv=notrunc 2>/dev/null
out=$(evlog verify "$LOG" || true)
assert_contains "$out" "damaged: $SEG0 at byte $((64 + 9 * 72)): checksum mismatch (offsets 9..9)" "damaged frame's offsets"
expect_status 4 evlog tail "$LOG" -n 20 >/dev/null
assert_contains "$(cat "$WORK/stderr")" "checksum mismatch at byte $((64 + 9 * 72)) (offset 9 onwards)" "tail names it"

# Segment files without META: corruption, and nothing is created over them.
LOG=$WORK/nometa
echo a | evlog append "$LOG"
rm "$LOG/META"
expect_status 4 evlog verify "$LOG"
assert_contains "$(cat "$WORK/stderr")" "META is missing" "verify without META"
expect_status 4 evlog tail "$LOG"
expect_status 4 evlog stat "$LOG"
expect_status 4 evlog append "$LOG" <<<"new"
[[ ! -e $LOG/META ]] || fail "append created a new META over an existing log"

# stat counts the events key compaction left, not the span of offsets.
LOG=$WORK/compacted
PAD=$(printf '%0100d' 0)
# Offset 1 is unkeyed and survives: segment 0 stays, without the events at its base.
for i in $(seq 0 199); do
  if ((i == 1)); then echo "unkeyed.$PAD"; else echo "k$((i % 10))=v$i.$PAD"; fi
done | evlog append "$LOG" --segment-bytes 4096 -K =
evlog compact "$LOG" --keep-latest-per-key >/dev/null
stored=$(evlog tail "$LOG" --from beginning | wc -l)
((stored < 200)) || fail "key compaction removed nothing"
first=$(evlog tail "$LOG" --from beginning --format '%o\n' | head -1)
assert_eq 1 "$first" "the oldest stored event"
assert_contains "$(evlog stat "$LOG")" "offsets        $first..199 ($stored events)" "stat after key compaction"
assert_contains "$(evlog stat "$LOG" --json)" "\"events\":$stored," "stat --json after key compaction"

# HEAD from another copy of the log, with the same next offset but another newest frame:
# appenders refuse such a log and say to run verify, which must then say why (it said "ok").
A=$WORK/copy-a B=$WORK/copy-b
seq 1 3 | evlog append "$A"
cp -r "$A" "$B"
echo three | evlog append "$A"
echo THREE | evlog append "$B"
cp "$B/HEAD" "$A/HEAD"
expect_status 4 evlog append "$A" <<<"four"
assert_contains "$(cat "$WORK/stderr")" "Run \`evlog verify\`" "append refuses and points to verify"
expect_status 4 evlog verify "$A" >"$WORK/verify.out"
assert_contains "$(cat "$WORK/verify.out")" "damaged: HEAD at byte 48: HEAD says the newest frame's checksum is" "verify names the mismatch"
# A segment above HEAD's whose header does not hold is damage, not an interrupted roll
# (a roll creates its segment whole): verify said "torn tail ... --repair fixes the rest",
# while repair and append refused it.
U=$WORK/unpublished
seq 1 10 | evlog append "$U"
head -c 64 /dev/zero | tr '\0' 'x' >"$U/$(printf '%020d.seg' 10)"
expect_status 4 evlog verify "$U" >"$WORK/verify.out"
assert_contains "$(cat "$WORK/verify.out")" "damaged: $(printf '%020d.seg' 10) at byte 0: segment $(printf '%020d.seg' 10): not an evlog segment header (bad magic)" "verify of a bad unpublished segment"
expect_status 4 evlog append "$U" <<<"eleven"
echo "ok"
