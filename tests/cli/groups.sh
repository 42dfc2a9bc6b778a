# groups: lists positions, lag and update times; --reset-to prints a plan and changes the
# position only with --execute; --delete forgets a group.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
position() { evlog groups "$LOG" -g "$1" --json | sed -n 's/.*"position":\([0-9]*\).*/\1/p'; }
seq 0 9 | evlog append "$LOG"

assert_eq "" "$(evlog groups "$LOG")" "no groups: no output"
assert_eq "" "$(evlog groups "$LOG" --json)" "no groups: no JSON"

evlog ack "$LOG" -g billing 9
evlog ack "$LOG" -g audit 3
seq 10 14 | evlog append "$LOG"
table=$(evlog groups "$LOG")
assert_eq "GROUP    POSITION  LAG  UPDATED" "$(sed -n 1p <<<"$table")" "table header"
assert_eq "$(printf 'audit 4 11\nbilling 10 5')" "$(awk 'NR > 1 { print $1, $2, $3 }' <<<"$table")" \
  "table rows: sorted by name, position and lag"
for updated in $(awk 'NR > 1 { print $4 }' <<<"$table"); do
  [[ $updated =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$ ]] ||
    fail "UPDATED is not RFC 3339 UTC: [$updated]"
done

evlog groups "$LOG" --json >"$WORK/json"
python3 - "$WORK/json" <<'PY' || fail "groups --json (see above)"
import json, sys
from datetime import datetime, timezone
lines = open(sys.argv[1]).read().splitlines()
groups = [json.loads(l) for l in lines]
assert [g["group"] for g in groups] == ["audit", "billing"], groups
for g in groups:
    assert sorted(g) == ["group", "lag", "position", "updated"], g
    updated = datetime.strptime(g["updated"][:26] + "Z", "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - updated).total_seconds()) < 60, g
assert (groups[0]["position"], groups[0]["lag"]) == (4, 11), groups
assert (groups[1]["position"], groups[1]["lag"]) == (10, 5), groups
PY
assert_eq "billing 10 5" "$(evlog groups "$LOG" -g billing | awk 'NR > 1 { print $1, $2, $3 }')" "-g selects one group"
expect_status 1 evlog groups "$LOG" -g nobody
assert_contains "$(cat "$WORK/stderr")" "evlog: groups: no group named 'nobody'" "-g of an unknown group"

# --reset-to without --execute is a dry run.
plan=$(evlog groups "$LOG" -g billing --reset-to 2 2>"$WORK/stderr")
assert_eq "$(printf 'GROUP    CURRENT  NEW\nbilling  10       2')" "$plan" "plan"
assert_contains "$(cat "$WORK/stderr")" "dry run" "the dry run says so"
assert_eq 10 "$(position billing)" "a dry run changes nothing"
evlog groups "$LOG" -g billing --reset-to 2 --execute >/dev/null
assert_eq 2 "$(position billing)" "--execute moves the position backwards"
reset() { evlog groups "$LOG" -g billing --reset-to "$1" --execute >/dev/null && position billing; }
assert_eq 15 "$(reset end)" "--reset-to end"
assert_eq 0 "$(reset beginning)" "--reset-to beginning"
assert_eq 12 "$(reset -3)" "--reset-to -3"
assert_eq 0 "$(reset -30)" "--reset-to -30"
assert_eq 15 "$(reset 15)" "--reset-to the next offset"
for execute in "" --execute; do
  expect_status 1 evlog groups "$LOG" -g billing --reset-to 16 $execute
  assert_contains "$(cat "$WORK/stderr")" "cannot reset to 16: past the log's end (next offset 15)" "reset past the end"
done
assert_eq 15 "$(position billing)" "a refused reset changes nothing"
evlog groups "$LOG" -g newcomer --reset-to 7 --create --execute >/dev/null
assert_eq 7 "$(position newcomer)" "reset --create creates a group"

# @TIME: the first event at or after TIME. Events 15..19 are appended well after 0..14.
sleep 0.05
seq 15 19 | evlog append "$LOG"
stamp() { evlog tail "$LOG" --from "$1" -c 1 --json | sed -n 's/.*"timestamp":"\([^"]*\)".*/\1/p'; }
assert_eq 15 "$(reset "@$(stamp 15)")" "@TIME of event 15"
assert_eq 0 "$(reset @-1h)" "@TIME before every event"
assert_eq 0 "$(reset @2000-01-01)" "@date before every event"
assert_eq 20 "$(reset @now)" "@TIME after every event: the end"
ms=$(evlog tail "$LOG" --from 15 -c 1 --format '%T')
assert_eq 15 "$(reset "@$((ms - 20))")" "@Unix milliseconds between the two batches"
plan=$(evlog groups "$LOG" -g billing --reset-to "@$(stamp 15)" 2>/dev/null)
assert_eq "billing  15       15" "$(sed -n 2p <<<"$plan")" "@TIME dry run"

# @TIME across segments: every event its own commit, so each has its own timestamp.
SEGS=$WORK/segments
seq 0 199 | sed 's/$/-padding-padding-padding-padding/' | evlog append "$SEGS" --segment-bytes 4096 --sync always
(($(ls "$SEGS" | grep -c '\.seg$') > 3)) || fail "expected several segments"
for offset in 0 1 57 100 163 199; do
  stamp=$(evlog tail "$SEGS" --from $offset -c 1 --json | sed -n 's/.*"timestamp":"\([^"]*\)".*/\1/p')
  first=$(evlog tail "$SEGS" --since "$stamp" -c 1 --format '%o')
  evlog groups "$SEGS" -g t --reset-to "@$stamp" --create --execute >/dev/null
  assert_eq "$first" "$(evlog groups "$SEGS" -g t --json | sed -n 's/.*"position":\([0-9]*\).*/\1/p')" \
    "@TIME of event $offset across segments"
done

evlog groups "$LOG" -g audit --delete
assert_eq "$(printf 'billing\nnewcomer')" "$(evlog groups "$LOG" | awk 'NR > 1 { print $1 }')" "after --delete"
expect_status 1 evlog groups "$LOG" -g audit --delete
assert_contains "$(cat "$WORK/stderr")" "evlog: groups: no group named 'audit'" "--delete of an unknown group"

expect_status 2 evlog groups "$LOG" --reset-to 3
expect_status 2 evlog groups "$LOG" --delete
expect_status 2 evlog groups "$LOG" -g billing --execute
expect_status 2 evlog groups "$LOG" -g billing --reset-to 3 --delete
expect_status 2 evlog groups "$LOG" -g billing --reset-to 3 --json
expect_status 2 evlog groups "$LOG" -g billing --reset-to soon
expect_status 2 evlog groups "$LOG" -g billing --reset-to @someday
expect_status 2 evlog groups "$LOG" -g ''
assert_eq 15 "$(position billing)" "usage errors change nothing"
expect_status 1 evlog groups "$WORK/missing"
[[ ! -e $WORK/missing ]] || fail "groups must not create a log"
echo PASS
