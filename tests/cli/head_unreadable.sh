# A HEAD that does not read back what the writer publishes (here a link to /dev/null, which
# is refused as a link before anything is read): the maintenance commands that read the log
# under the append lock refuse it with exit 4 instead of waiting forever for the lock they
# hold themselves (issue 7, item 19). Each runs under
# `timeout`, so a regression fails the test instead of hanging it.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
printf 'a:1\nb:2\na:3\n' | evlog append "$LOG" -K :
rm "$LOG/HEAD"
ln -s /dev/null "$LOG/HEAD"

# run_bounded STATUS WHAT COMMAND...: COMMAND must exit with STATUS within 60 seconds (a hang guard, generous for sanitizer builds).
run_bounded() {
  local expected=$1 what=$2 status=0
  shift 2
  timeout 60 "$@" >/dev/null 2>"$WORK/stderr" || status=$?
  [[ $status != 124 ]] || fail "$what hung (killed after 60 s)"
  [[ $status == "$expected" ]] || fail "$what: expected exit $expected, got $status; stderr: $(cat "$WORK/stderr")"
}

run_bounded 4 "compact --keep-latest-per-key" "$EVLOG" compact "$LOG" --keep-latest-per-key --tombstone-retention 0s
assert_contains "$(cat "$WORK/stderr")" "HEAD: is a symbolic link" "compact names HEAD"
run_bounded 4 "compact --keep-latest-per-key --dry-run" "$EVLOG" compact "$LOG" --keep-latest-per-key --dry-run
run_bounded 4 "verify --repair" "$EVLOG" verify "$LOG" --repair
assert_contains "$(cat "$WORK/stderr")" "HEAD: is a symbolic link" "verify --repair names HEAD"
[[ -L $LOG/HEAD ]] || fail "HEAD was replaced"

# A HEAD with a valid checksum that names a segment that does not exist (below the newest
# one) is not valid (format-spec §6.1): readers fell back to it when their scan failed and
# silently showed nothing of the newer segment (tail -n 2 printed nothing, exit 0; export
# gave 733 of 1000 events). They now report the damage.
L2=$WORK/head-names-missing
seq 1 1000 | evlog append "$L2" --segment-bytes 4096
python3 - "$L2" <<'PY'
import ctypes, os, struct, sys
xxh = ctypes.CDLL("libxxhash.so.0")
xxh.XXH3_64bits.restype, xxh.XXH3_64bits.argtypes = ctypes.c_uint64, [ctypes.c_char_p, ctypes.c_size_t]
d = sys.argv[1]
log_id = open(d + "/META", "rb").read()[16:32]
newest = max(int(f[:20]) for f in os.listdir(d) if f.endswith(".seg"))
head = bytearray(open(d + "/HEAD", "rb").read())
struct.pack_into("<Q", head, 16, newest - 1)  # segment_base (format-spec §6)
struct.pack_into("<Q", head, 56, xxh.XXH3_64bits(bytes(head[:56]), 56) ^ struct.unpack("<Q", log_id[:8])[0])
open(d + "/HEAD", "wb").write(head)
PY
expect_status 4 evlog tail "$L2" -n 2
expect_status 4 evlog export "$L2" -o "$WORK/export.ndjson"
[[ ! -e $WORK/export.ndjson ]] || fail "export wrote part of the log"
expect_status 4 evlog verify "$L2" >/dev/null
echo PASS
