# export -o FILE builds FILE in a temporary sibling (FILE.tmp-XXXXXX): an export stopped by
# SIGINT or SIGTERM, or failing, removes it and leaves no FILE (issue 11). An archive is
# never written to a terminal (as gzip refuses), exit 2.
source "$(dirname "$0")/lib.sh"
CRASH_SHIM=${EVLOG_CRASH_SHIM:?set by ctest: the crash_at_sync shim}
ENOSPC_SHIM=${EVLOG_ENOSPC_SHIM:?set by ctest: the enospc_after shim}

seq 1 2000 | evlog append "$WORK/log"
no_output_left() {  # no_output_left WHAT
  [[ ! -e $WORK/out/file ]] || fail "$1: FILE was created"
  [[ -z $(ls -A "$WORK/out") ]] || fail "$1: left $(ls -A "$WORK/out")"
}
mkdir "$WORK/out"

# The signal arrives at the export's first durability call, the fsync of the temporary file
# (the shim sends it, so the moment is exact): the written file must still go.
for signal in 2 15; do
  for format in ndjson archive; do
    status=0
    EVLOG_CRASH_AT_SYNC=1 EVLOG_CRASH_SIGNAL=$signal LD_PRELOAD=$CRASH_SHIM ASAN_OPTIONS=verify_asan_link_order=0 \
      "$EVLOG" export "$WORK/log" --format $format -o "$WORK/out/file" 2>"$WORK/stderr" || status=$?
    assert_eq $((128 + signal)) "$status" "exit status of a $format export stopped by signal $signal"
    assert_contains "$(cat "$WORK/stderr")" "evlog: export: interrupted by signal $signal" "$format, signal $signal: message"
    no_output_left "$format export stopped by signal $signal"
  done
done

# A full disk: the error is reported and the temporary file removed.
EVLOG_ENOSPC_DIR=$WORK/out EVLOG_ENOSPC_AFTER=1000 LD_PRELOAD=$ENOSPC_SHIM ASAN_OPTIONS=verify_asan_link_order=0 \
  expect_status 1 "$EVLOG" export "$WORK/log" -o "$WORK/out/file"
assert_contains "$(cat "$WORK/stderr")" "No space left on device" "ENOSPC named"
no_output_left "export on a full disk"

# Without a signal the same export completes.
evlog export "$WORK/log" -o "$WORK/out/file"
assert_eq 2000 "$(wc -l <"$WORK/out/file")" "a completed export"

# An archive to a terminal is refused before anything is read; JSON lines are text and go.
on_terminal() {  # on_terminal COMMAND...: runs it with stdout on a pseudo-terminal
  python3 - "$@" <<'PY'
import os, subprocess, sys
primary, secondary = os.openpty()
result = subprocess.run(sys.argv[1:], stdout=secondary, stderr=subprocess.PIPE)
os.close(secondary)
shown = b""
try:
    while chunk := os.read(primary, 65536):
        shown += chunk
except OSError:  # EIO: the terminal's other side is closed and everything was read
    pass
sys.stderr.buffer.write(result.stderr)
print(f"{result.returncode} {len(shown)}")
PY
}
assert_eq "2 0" "$(on_terminal "$EVLOG" export "$WORK/log" --format archive 2>"$WORK/stderr")" "archive to a terminal"
assert_eq "evlog: export: refusing to write an archive to a terminal; use -o FILE or redirect" "$(cat "$WORK/stderr")" \
  "archive to a terminal: message"
[[ $(on_terminal "$EVLOG" export "$WORK/log" --to 0 2>/dev/null) == "0 "* ]] || fail "JSON lines to a terminal"
echo PASS
