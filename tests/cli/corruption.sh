# Corruption found while reading is reported with the library's message and exit status 4.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
printf 'first\n' | evlog append "$LOG"
printf 'second-MARKER-payload\n' | evlog append "$LOG"
printf 'third\n' | evlog append "$LOG"
assert_eq "$(printf 'first\nsecond-MARKER-payload\nthird')" "$(evlog tail "$LOG")" "before corruption"
# Enough one-event frames after it that the damage lies behind several index entries
# (one per 4 KiB): a writer must still find it.
seq 200 | sed 's/$/ and some padding to make the frame longer than a hundred bytes, more or less/' |
  evlog append --sync always "$LOG"

# Flip one payload byte of the second, committed event (offset 1). Prints the segment's
# name and the position of the frame holding the damage, found by walking the frames
# (format-spec: each frame starts with its u32 length and takes it rounded up to 8 bytes).
damage=$(python3 - "$LOG" <<'PY'
import glob, os, struct, sys
seg = sorted(glob.glob(sys.argv[1] + "/*.seg"))[0]
data = bytearray(open(seg, "rb").read())
at = data.find(b"MARKER")
assert at > 0, "marker not found in " + seg
data[at] ^= 0x01
open(seg, "r+b").write(data)
frame = 64
while True:
    extent = (struct.unpack_from("<I", data, frame)[0] + 7) // 8 * 8
    if frame + extent > at:
        break
    frame += extent
print(os.path.basename(seg), frame)
PY
)
read -r segment frame <<<"$damage"
((frame > 64)) || fail "the damaged frame should be the second one, found at byte $frame"

# The event before the damage is delivered; then the exact place is reported.
expect_status 4 evlog tail --from beginning "$LOG" >"$WORK/stdout"
assert_eq first "$(cat "$WORK/stdout")" "events before the damage"
assert_contains "$(cat "$WORK/stderr")" "evlog: tail: segment $segment: " "corruption message names the segment"
assert_contains "$(cat "$WORK/stderr")" " at byte $frame (offset 1 onwards)" "corruption message's position"
# export and verify report the same place.
expect_status 4 evlog export "$LOG" >/dev/null
assert_contains "$(cat "$WORK/stderr")" "evlog: export: segment $segment: checksum mismatch at byte $frame (offset 1 onwards)" \
  "export's corruption message"
expect_status 4 evlog verify "$LOG" >"$WORK/stdout"
assert_contains "$(cat "$WORK/stdout")" "damaged: $segment at byte $frame: checksum mismatch (offsets 1..1)" "verify's report"
# A writer refuses to acknowledge anything after damaged committed data, and writes nothing.
size_before=$(stat -c %s "$LOG/$segment")
head_before=$(od -An -tx1 "$LOG/HEAD")
expect_status 4 evlog append "$LOG" <<<"after the damage"
assert_contains "$(cat "$WORK/stderr")" "evlog: append: segment $segment: checksum mismatch at byte $frame (offset 1 onwards), below the committed end" \
  "append's corruption message"
assert_contains "$(cat "$WORK/stderr")" "nothing was written" "append says nothing was written"
assert_eq "$size_before" "$(stat -c %s "$LOG/$segment")" "segment size after the refused append"
assert_eq "$head_before" "$(od -An -tx1 "$LOG/HEAD")" "HEAD after the refused append"
echo PASS
