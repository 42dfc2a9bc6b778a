# verify finds damage in a segment, an index and a header, and a missing segment; --repair
# cuts a torn tail; --repair --force quarantines damage and never reuses offsets; stat
# reports offsets, counts, groups and lag, as text and as JSON.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
seq 1 1000 | evlog append "$LOG" --segment-bytes 8K
evlog ack "$LOG" -g billing 41
SEG0=$LOG/00000000000000000000.seg

expect_status 0 evlog verify "$LOG"
out=$(evlog verify "$LOG")
assert_contains "$out" "1000 events" "verify counts events"
assert_contains "$out" "ok: no problem found" "clean verify"

out=$(evlog stat "$LOG")
assert_contains "$out" "offsets        0..999 (1000 events)" "stat offsets"
assert_contains "$out" "group          billing  position 42  lag 958" "stat group"
json=$(evlog stat "$LOG" --json)
assert_contains "$json" '"first_offset":0,"next_offset":1000,"events":1000' "stat --json offsets"
assert_contains "$json" '"groups":[{"group":"billing","position":42,"lag":958}]' "stat --json groups"

flip() {  # flip FILE BYTE: invert one byte in place
  local byte
  byte=$(od -A n -t u1 -j "$2" -N 1 "$1" | tr -d ' ')
  printf "\\$(printf %03o $((byte ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# A flipped byte in committed data: exit 4, segment and byte position named.
cp -r "$LOG" "$WORK/damaged"
flip "$WORK/damaged/00000000000000000000.seg" 300
expect_status 4 evlog verify "$WORK/damaged"
out=$(evlog verify "$WORK/damaged" || true)
assert_contains "$out" "damaged: 00000000000000000000.seg at byte 64: checksum mismatch" "verify names the frame"

# A damaged segment header.
cp -r "$LOG" "$WORK/header"
flip "$WORK/header/00000000000000000000.seg" 20
expect_status 4 evlog verify "$WORK/header"

# A damaged index is reported, is not corruption, and --repair rebuilds it.
cp -r "$LOG" "$WORK/index"
flip "$WORK/index/00000000000000000000.idx" 70
out=$(evlog verify "$WORK/index")
assert_contains "$out" "index: 00000000000000000000.idx" "verify reports the index"
evlog verify "$WORK/index" --repair >/dev/null
assert_contains "$(evlog verify "$WORK/index")" "ok: no problem found" "index rebuilt"

# A missing segment.
cp -r "$LOG" "$WORK/missing"
seq 1 1000 | evlog append "$WORK/missing"
second=$(ls "$WORK/missing"/*.seg | sed -n 2p)
rm "$second"
expect_status 4 evlog verify "$WORK/missing"
assert_contains "$(evlog verify "$WORK/missing" || true)" "a segment is missing" "verify reports the gap"

# A torn tail (bytes after the committed end): reported, not corruption; --repair cuts it.
cp -r "$LOG" "$WORK/torn"
last=$(ls "$WORK/torn"/*.seg | tail -n 1)
head -c 40 /dev/urandom >>"$last"
out=$(evlog verify "$WORK/torn")
assert_contains "$out" "torn tail:" "verify reports the torn tail"
out=$(evlog verify "$WORK/torn" --repair)
assert_contains "$out" "repaired: segment" "repair cuts the tail"
assert_contains "$out" "ok: no problem found" "clean after repair"
assert_eq 1000 "$(event_count "$WORK/torn")" "no committed event lost by the repair"

# --repair alone never discards committed data; --force moves it aside, offsets go on.
expect_status 4 evlog verify "$WORK/damaged" --repair
[[ -f "$WORK/damaged/00000000000000000000.seg" ]] || fail "--repair without --force moved a segment"
expect_status 0 evlog verify "$WORK/damaged" --repair --force
[[ -f "$WORK/damaged/quarantine/00000000000000000000.seg" ]] || fail "damaged segment not in quarantine/"
assert_eq 1000 "$(printf 'new\n' | evlog append "$WORK/damaged" -p)" "offsets are not reused after --force"
echo PASS
