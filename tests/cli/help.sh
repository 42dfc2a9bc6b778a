# Terminal manners (issue 11): `evlog help SUBCOMMAND` prints what `SUBCOMMAND --help` does;
# a misspelt subcommand or option gets "did you mean" (exit 2 as every usage error); -q
# silences notes but never errors; every subcommand's --help ends with examples;
# replay --help says how header names become variable names.
source "$(dirname "$0")/lib.sh"

# help.
assert_eq "$(evlog --help)" "$(evlog help)" "evlog help is evlog --help"
assert_eq "$(evlog tail --help)" "$(evlog help tail)" "help tail"
assert_eq "$(evlog capture postgres --help)" "$(evlog help capture postgres)" "help capture postgres"
assert_eq "$(evlog stat --help)" "$(evlog -q help stat)" "help after a global flag"
assert_contains "$(evlog help help)" "Usage: evlog help" "help help"
evlog --help | grep -q '^  help ' || fail "--help lists help"
expect_status 2 evlog help tial
assert_contains "$(cat "$WORK/stderr")" "did you mean 'tail'?" "help of a misspelt subcommand"

# Did you mean: subcommands (nested ones too) and long options, compared by edit distance.
expect_status 2 evlog tial "$WORK/log"
assert_eq "$(printf "evlog: unknown subcommand 'tial'\nevlog: did you mean 'tail'?\nevlog: run 'evlog --help' for usage")" \
  "$(cat "$WORK/stderr")" "misspelt subcommand"
expect_status 2 evlog -q staat "$WORK/log"
assert_contains "$(cat "$WORK/stderr")" "did you mean 'stat'?" "after -q"
expect_status 2 evlog verfiy "$WORK/log"
assert_contains "$(cat "$WORK/stderr")" "did you mean 'verify'?" "swapped letters"
expect_status 2 evlog capture sqlit app.db
assert_contains "$(cat "$WORK/stderr")" "evlog: capture: did you mean 'sqlite'?" "nested subcommand"
expect_status 2 evlog tail --folow "$WORK/log"
assert_contains "$(cat "$WORK/stderr")" "evlog: tail: did you mean '--follow'?" "misspelt option"
assert_contains "$(cat "$WORK/stderr")" "evlog: tail: run 'evlog tail --help' for usage" "and where help is"
expect_status 2 evlog append "$WORK/log" --atomik
assert_contains "$(cat "$WORK/stderr")" "did you mean '--atomic'?" "misspelt option after the log"
# Nothing close: no guess.
expect_status 2 evlog frobnicate
[[ $(cat "$WORK/stderr") != *"did you mean"* ]] || fail "a guess for frobnicate: $(cat "$WORK/stderr")"
expect_status 2 evlog tail --xyzzy "$WORK/log"
[[ $(cat "$WORK/stderr") != *"did you mean"* ]] || fail "a guess for --xyzzy: $(cat "$WORK/stderr")"
# Replay's command after -- is data, not options.
printf 'a\n' | evlog append "$WORK/log"
evlog replay "$WORK/log" -- sh -c 'cat >/dev/null' --folow 2>"$WORK/stderr" || fail "replay with --folow in CMD"

# -q: notes go, errors stay; -q may come after the subcommand.
LOG=$WORK/log
evlog compact "$LOG" --retain-bytes 1 --dry-run >/dev/null 2>"$WORK/stderr"
assert_contains "$(cat "$WORK/stderr")" "dry run: nothing changed" "the note without -q"
assert_eq "" "$(evlog -q compact "$LOG" --retain-bytes 1 --dry-run 2>&1 >/dev/null)" "-q silences the note"
assert_eq "" "$(evlog compact -q "$LOG" --retain-bytes 1 --dry-run 2>&1 >/dev/null)" "-q after the subcommand"
evlog replay "$LOG" --from beginning -- true 2>"$WORK/stderr"
assert_contains "$(cat "$WORK/stderr")" "1 delivered" "replay's summary without -q"
assert_eq "" "$(evlog -q replay "$LOG" --from beginning -- true 2>&1)" "-q silences replay's summary"
expect_status 1 evlog -q tail "$WORK/missing"
assert_contains "$(cat "$WORK/stderr")" "no such log" "-q keeps errors"
expect_status 2 evlog -q tail --bogus "$LOG"
assert_contains "$(cat "$WORK/stderr")" "--bogus" "-q keeps usage errors"
echo x | evlog append "$LOG" --segment-bytes 8192 2>"$WORK/stderr"
assert_contains "$(cat "$WORK/stderr")" "warning: --segment-bytes ignored" "the warning"
echo x | evlog -q append "$LOG" --segment-bytes 8192 2>"$WORK/stderr"
assert_contains "$(cat "$WORK/stderr")" "warning: --segment-bytes ignored" "-q keeps warnings"

# Every subcommand's --help, nested ones included, ends with an Examples section of
# commands that start with `evlog` (help_examples.sh runs them).
subcommands=$(evlog --help | sed -n '/^Subcommands:/,/^$/p' | awk '/^  [a-z]/{print $1}')
[[ $(wc -l <<<"$subcommands") -ge 14 ]] || fail "subcommands listed: [$subcommands]"
for sub in $subcommands "capture sqlite" "capture postgres"; do
  # shellcheck disable=SC2086
  help=$(evlog $sub --help)
  examples=$(sed -n '/^Examples:$/,$p' <<<"$help" | sed 1d)
  [[ -n $examples ]] || fail "$sub --help has no Examples section"
  [[ $(grep -c '^  ' <<<"$examples") -ge 2 ]] || fail "$sub --help: fewer than two examples: [$examples]"
  grep -v '^  ' <<<"$examples" | grep -q . && fail "$sub --help: Examples is not the last section: [$examples]"
  while IFS= read -r line; do
    [[ $line == *evlog\ * ]] || fail "$sub --help: an example that does not run evlog: [$line]"
  done <<<"$examples"
done

# replay --help states how header names become variable names.
assert_contains "$(evlog replay --help | tr -s ' \n' '  ')" "upper-cased" "EVLOG_HEADER_ naming in replay --help"
assert_contains "$(evlog replay --help)" "EVLOG_HEADER_CONTENT_TYPE" "EVLOG_HEADER_ example in replay --help"
echo ok
