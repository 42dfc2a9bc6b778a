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
