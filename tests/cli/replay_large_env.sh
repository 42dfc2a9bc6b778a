# replay with values too large for the environment (issue 7, item 18): a 200 KB header and a
# 300 KB key travel in files named by EVLOG_HEADER_<NAME>_FILE and EVLOG_KEY_FILE instead of
# failing exec ("Argument list too long") forever; an event that cannot be delivered by
# construction (a header name too long to name a variable) is dead-lettered with the reason,
# or, without --dead-letter, ends replay with status 5 as exhausted retries do.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
python3 -c '
import json
print(json.dumps({"payload": "small"}))
print(json.dumps({"key": "k" * 300000, "headers": {"big": "v" * 200000, "x": "1"}, "payload": "poison"}))
print(json.dumps({"payload": "after"}))' | evlog append "$LOG" --json

evlog replay "$LOG" -g g -- sh -c 'echo "$EVLOG_OFFSET ${#EVLOG_HEADER_BIG} $(cat "${EVLOG_HEADER_BIG_FILE:-/dev/null}" | wc -c) $(cat "${EVLOG_KEY_FILE:-/dev/null}" | wc -c) $EVLOG_HEADER_X"' \
  >"$WORK/out" 2>"$WORK/stderr" || fail "replay of large values: $(cat "$WORK/stderr")"
assert_eq "$(printf '0 0 0 0 \n1 0 200000 300000 1\n2 0 0 0 ')" "$(cat "$WORK/out")" "values delivered through files"

LONG=$WORK/long
python3 -c '
import json
print(json.dumps({"headers": {"n" * 5000: "1"}, "payload": "bad"}))
print(json.dumps({"payload": "ok"}))' | evlog append "$LONG" --json
expect_status 5 evlog replay "$LONG" -g g -- cat
assert_contains "$(cat "$WORK/stderr")" "offset 0 could not be delivered: header name of 5000 bytes is longer than 4096 bytes" "without --dead-letter"
assert_contains "$(cat "$WORK/stderr")" "group g stays at 0" "without --dead-letter"

evlog replay "$LONG" -g g --dead-letter "$WORK/dead" -- cat >"$WORK/out" 2>"$WORK/stderr" || fail "replay with --dead-letter: $(cat "$WORK/stderr")"
assert_eq ok "$(cat "$WORK/out")" "the event after the undeliverable one"
assert_contains "$(evlog tail "$WORK/dead" --json)" '"evlog-last-status":"header name of 5000 bytes is longer than 4096 bytes' "dead letter reason"
echo PASS
