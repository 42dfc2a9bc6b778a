# Command-line errors exit 2, help and version exit 0 on stdout.
source "$(dirname "$0")/lib.sh"

version=$(evlog --version)
[[ $version =~ ^evlog\ [0-9]+\.[0-9]+\.[0-9]+\ \(log\ format\ 1\)$ ]] || fail "--version printed [$version]"
evlog --help | grep -q append || fail "--help does not list append"
evlog append --help | grep -q -- --expect-next || fail "append --help lacks --expect-next"
evlog append --help | grep -A3 -- --expect-next | grep -q -- --atomic || fail "--expect-next help must say it implies --atomic"
evlog tail --help | grep -q -- --follow || fail "tail --help lacks --follow"
# Usage lines name the command as it is typed, not the binary's path (issue 11).
assert_eq "Usage: evlog [OPTIONS] SUBCOMMAND" "$(evlog --help | grep '^Usage:')" "usage line of evlog"
assert_eq "Usage: evlog append [OPTIONS] LOG" "$(evlog append --help | grep '^Usage:')" "usage line of append"
assert_eq "Usage: evlog capture postgres [OPTIONS] CONNINFO LOG" "$(evlog capture postgres --help | grep "^Usage:")" \
  "usage line of a nested subcommand"

LOG=$WORK/log
expect_status 2 evlog
expect_status 2 evlog frobnicate
expect_status 2 evlog append
expect_status 2 evlog tail
expect_status 2 evlog append --sync sometimes "$LOG"
assert_contains "$(cat "$WORK/stderr")" "evlog: append:" "usage error names the subcommand"
# The hint names the innermost subcommand, whose --help has the missing options.
expect_status 2 evlog capture postgres
assert_contains "$(cat "$WORK/stderr")" "evlog: capture: run 'evlog capture postgres --help' for usage" "nested subcommand's help"
expect_status 2 evlog apply
assert_contains "$(cat "$WORK/stderr")" "evlog: apply: run 'evlog apply --help' for usage" "subcommand's help"
expect_status 2 evlog append --segment-bytes 12Q "$LOG"
# Log limits out of the format's range are usage errors before anything is created (an
# out-of-range segment size was exit 1; --max-event-bytes 0 silently meant the default).
expect_status 2 evlog append --segment-bytes 1 "$WORK/never" <<<"x"
assert_contains "$(cat "$WORK/stderr")" "--segment-bytes: 1 is out of range: it must be between 4096 and 2147483648 bytes" "segment size range"
expect_status 2 evlog append --max-event-bytes 0 "$WORK/never" <<<"x"
assert_contains "$(cat "$WORK/stderr")" "--max-event-bytes: 0 is out of range: it must be at least 1 bytes" "event size range"
expect_status 2 evlog import --segment-bytes 3G "$WORK/never" </dev/null
[[ ! -e $WORK/never ]] || fail "a refused option created the log"
expect_status 2 evlog append --raw --json "$LOG"
expect_status 2 evlog append -0 --raw "$LOG"
expect_status 2 evlog append -H novalue "$LOG"
expect_status 2 evlog append --expect-next x "$LOG"
expect_status 2 evlog append --bogus "$LOG"
expect_status 2 evlog tail -n x "$LOG"
expect_status 2 evlog tail --from yesterday "$LOG"
expect_status 2 evlog tail --since "last tuesday" "$LOG"
expect_status 2 evlog tail --format '%x' "$LOG"
expect_status 2 evlog tail --json --format '%s' "$LOG"
expect_status 2 evlog tail --from 1 --since -1h "$LOG"
[[ ! -e "$LOG" ]] || fail "a usage error must not create the log"
expect_status 2 evlog bogus "$LOG"
assert_contains "$(cat "$WORK/stderr")" "unknown subcommand 'bogus'" "a misspelt subcommand is named"
# Limits out of range are refused before anything is created; one that does not fit the
# other is the library's check, exit 1.
expect_status 2 evlog append "$LOG" --segment-bytes 100 </dev/null
assert_contains "$(cat "$WORK/stderr")" "--segment-bytes: 100 is out of range" "segment size error"
expect_status 1 evlog append "$LOG" --segment-bytes 4K --max-event-bytes 8K <<<"x"
assert_contains "$(cat "$WORK/stderr")" "maximum event size 8192 does not fit the segment size 4096" "limits that do not fit"
[[ ! -e "$LOG" ]] || fail "refused limits must not leave a directory behind"
echo PASS
