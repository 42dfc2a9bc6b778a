# Dead letters: exit 65 goes straight to the dead-letter log, attempts exhausted go there
# too; each keeps its payload, key and headers and gains four evlog-* headers; with -g it is
# acked and replay goes on.
source "$(dirname "$0")/replay_lib.sh"

LOG=$WORK/log
DL=$WORK/dead
printf 'k0=zero\nk1=one\nk2=two\nk3=three\n' | evlog append -K = -H 'trace=t-1' -H 'ct=text' "$LOG"
printf 'no key\n' | evlog append "$LOG"
RECORD=$WORK/record

# Offset 1 is rejected (65), offset 3 fails every attempt, offset 4 times out. The timeout
# applies to every attempt: it leaves those of offsets 0-3, which end by themselves, ten
# times what a loaded sanitizer build needs.
evlog replay "$LOG" -g G --dead-letter "$DL" --backoff 10ms --max-attempts 2 --timeout 2s -- \
  sh -c 'case $EVLOG_OFFSET in 1) exit 65;; 3) exit 7;; 4) exec sleep 10;; esac
         echo "$EVLOG_OFFSET $EVLOG_ATTEMPT" >>"$1"' sh "$RECORD" 2>"$WORK/stderr" ||
  fail "replay with dead letters: $(cat "$WORK/stderr")"
assert_eq "$(printf '0 1\n2 1')" "$(cat "$RECORD")" "delivered events"
assert_contains "$(cat "$WORK/stderr")" "2 delivered, 2 retried, 3 dead-lettered" "summary"

evlog tail "$DL" --from beginning --json >"$WORK/dead.json"
python3 - "$WORK/dead.json" "$LOG" <<'PY' || fail "dead-letter log content (see above)"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
source = sys.argv[2]
assert len(events) == 3, events
def expect(e, offset, key, payload, attempts, status, own_headers):
    assert e["key"] == key and e["payload"] == payload, e
    assert list(e["headers"].items()) == own_headers + [
        ("evlog-source-log", source), ("evlog-source-offset", str(offset)),
        ("evlog-attempts", str(attempts)), ("evlog-last-status", status)], e["headers"]
ours = [("trace", "t-1"), ("ct", "text")]
expect(events[0], 1, "k1", "one", 1, "exit 65", ours)       # rejected: not retried
expect(events[1], 3, "k3", "three", 2, "exit 7", ours)      # attempts exhausted
expect(events[2], 4, None, "no key", 2, "timeout", [])
PY

# Dead-lettered events were acked: the group is at the end.
evlog replay "$LOG" -g G -- false 2>"$WORK/stderr"
assert_contains "$(cat "$WORK/stderr")" "0 delivered" "group after dead letters"

# Without -g nothing is acked, with or without dead letters.
evlog replay "$LOG" --dead-letter "$DL" -- sh -c 'exit 65' 2>/dev/null
assert_eq 8 "$(event_count "$DL")" "dead letters without -g"
expect_status 2 evlog replay "$LOG" -g G2 --from 0 -- true

# The dead-letter log cannot be the log being replayed.
expect_status 1 evlog replay "$LOG" --dead-letter "$LOG" -- true
assert_contains "$(cat "$WORK/stderr")" "is the log being replayed" "dead-letter into itself"

# Death by a signal, recorded as such.
printf 'x\n' | evlog append "$WORK/one"
evlog replay "$WORK/one" --dead-letter "$WORK/dead2" --max-attempts 1 -- sh -c 'kill -KILL $$' 2>/dev/null
[[ "$(evlog tail "$WORK/dead2" --format '%h')" == *"evlog-last-status=signal 9"* ]] ||
  fail "dead letter of a killed command: $(evlog tail "$WORK/dead2" --format '%h')"
echo PASS
