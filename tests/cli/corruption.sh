# Corruption found while reading is reported with the library's message and exit status 4.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
printf 'first-MARKER-payload\n' | evlog append "$LOG"
printf 'second\n' | evlog append "$LOG"
printf 'third\n' | evlog append "$LOG"
assert_eq "$(printf 'first-MARKER-payload\nsecond\nthird')" "$(evlog tail "$LOG")" "before corruption"

# Flip one payload byte of the first, committed event.
python3 - "$LOG" <<'PY'
import glob, sys
seg = sorted(glob.glob(sys.argv[1] + "/*.seg"))[0]
data = bytearray(open(seg, "rb").read())
at = data.find(b"MARKER")
assert at > 0, "marker not found in " + seg
data[at] ^= 0x01
open(seg, "r+b").write(data)
PY

expect_status 4 evlog tail --from beginning "$LOG"
assert_contains "$(cat "$WORK/stderr")" "evlog: tail: " "corruption message"
assert_contains "$(cat "$WORK/stderr")" ".seg" "corruption message names the segment"
echo PASS
