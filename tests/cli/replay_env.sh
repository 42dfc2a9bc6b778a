# What the command gets: the payload on stdin (exactly), the EVLOG_* environment, no shell
# in between; and replay's command-line errors.
source "$(dirname "$0")/replay_lib.sh"

LOG=$WORK/log
printf 'user-1=hello world\n' | evlog append -K = -H 'content-type=text/plain' \
  -H 'x.trace-id=abc' -H 'a.b=first' -H 'A-B=last' "$LOG"
printf '$(touch pwned)\n`touch pwned`\n; touch pwned #\n' | evlog append -H 'evil=$(touch pwned)' "$LOG"

# Offsets, keys, headers, timestamp, attempt, log and group. An EVLOG_* variable evlog
# inherited is not passed on: EVLOG_KEY is absent for an event without a key.
cd "$WORK"
EVLOG_KEY=stale OTHER=kept evlog replay log -g G -- \
  sh -c 'env | grep -E "^(EVLOG_|OTHER=)" | sort >"env.$EVLOG_OFFSET"; cat >"stdin.$EVLOG_OFFSET"' \
  2>"$WORK/stderr" || fail "replay: $(cat "$WORK/stderr")"
cd - >/dev/null
timestamp=$(evlog tail "$LOG" --from 0 -c 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["timestamp"])')
cat >"$WORK/expected" <<EOT
EVLOG_ATTEMPT=1
EVLOG_GROUP=G
EVLOG_HEADER_A_B=last
EVLOG_HEADER_CONTENT_TYPE=text/plain
EVLOG_HEADER_X_TRACE_ID=abc
EVLOG_KEY=user-1
EVLOG_LOG=$WORK/log
EVLOG_OFFSET=0
EVLOG_TIMESTAMP=$timestamp
OTHER=kept
EOT
assert_files_equal "$WORK/expected" "$WORK/env.0" "environment of event 0"
grep -q '^EVLOG_KEY' "$WORK/env.1" && fail "EVLOG_KEY set for an event without a key: $(cat "$WORK/env.1")"
grep -qx 'EVLOG_OFFSET=2' "$WORK/env.2" || fail "EVLOG_OFFSET of event 2: $(cat "$WORK/env.2")"
[[ $timestamp =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z$ ]] || fail "timestamp $timestamp"

# stdin is the payload, byte for byte, without a newline; nothing was run by a shell.
assert_eq "hello world" "$(cat "$WORK/stdin.0")" "payload on stdin"
printf '$(touch pwned)' >"$WORK/expected"
assert_files_equal "$WORK/expected" "$WORK/stdin.1" "stdin is the payload without a newline"
evlog replay "$LOG" --from 1 -- cat >"$WORK/out" 2>/dev/null
printf '$(touch pwned)`touch pwned`; touch pwned #' >"$WORK/expected"
assert_files_equal "$WORK/expected" "$WORK/out" "payloads through cat"
evlog replay "$LOG" --from 1 -- echo '$EVLOG_OFFSET' >"$WORK/out" 2>/dev/null
assert_eq "$(printf '$EVLOG_OFFSET\n$EVLOG_OFFSET\n$EVLOG_OFFSET')" "$(cat "$WORK/out")" "arguments are not expanded"
[[ ! -e pwned && ! -e "$WORK/pwned" ]] || fail "a payload or header ran a command"

# A command that does not read its stdin is not a failure (EPIPE is handled).
head -c 600000 /dev/zero | tr '\0' x | evlog append --raw "$WORK/big"
evlog replay "$WORK/big" -- true 2>"$WORK/stderr" || fail "command ignoring a large stdin: $(cat "$WORK/stderr")"
[[ "$(cat "$WORK/stderr")" =~ $SUMMARY_RE ]] || fail "summary line: $(cat "$WORK/stderr")"
assert_contains "$(cat "$WORK/stderr")" "1 delivered, 0 retried, 0 dead-lettered" "large stdin unread"

# --from and --to choose the range.
evlog replay "$LOG" --from 1 --to 2 -- sh -c 'echo "$EVLOG_OFFSET"' >"$WORK/out" 2>/dev/null
assert_eq "$(printf '1\n2')" "$(cat "$WORK/out")" "--from 1 --to 2"

# Usage errors exit 2 and touch nothing; a command that cannot run is an error.
expect_status 2 evlog replay "$LOG"
expect_status 2 evlog replay "$LOG" --timeout 5 -- true
assert_contains "$(cat "$WORK/stderr")" "is not a duration" "bad duration message"
expect_status 2 evlog replay "$LOG" --timeout 0s -- true
expect_status 2 evlog replay "$LOG" --backoff 1w -- true
expect_status 2 evlog replay "$LOG" --backoff-max -1s -- true
expect_status 2 evlog replay "$LOG" --max-attempts 0 -- true
expect_status 2 evlog replay "$LOG" --batch 0 -- true
expect_status 2 evlog replay "$LOG" -g G --from 0 -- true
expect_status 2 evlog replay "$LOG" --to yesterday -- true
expect_status 2 evlog replay "$LOG" -g '' -- true
expect_status 1 evlog replay "$WORK/missing" -- true
expect_status 1 evlog replay "$LOG" -- "$WORK/no-such-command"
assert_contains "$(cat "$WORK/stderr")" "cannot run $WORK/no-such-command: No such file or directory" "exec failure"
evlog replay --help | grep -q -- '--dead-letter' || fail "replay --help lacks --dead-letter"
evlog replay --help | grep -q -- 'default 500ms' || fail "replay --help lacks the backoff default"
echo PASS
