# A consumer that starts reading a group (replay -g, bridge -g) joins it: the group is stored
# before the first delivery, so compaction keeps its events even if that delivery fails or
# is killed; and a stored position past the log's end (the log lost events the group had
# acked) is moved back to the end, so that events appended there are not skipped. The
# dead-letter log has room for the largest event of the source with its added headers.
# Found by a review: each part failed before its fix.
source "$(dirname "$0")/replay_lib.sh"

# --- A new group is protected from its first delivery on --------------------------------
LOG=$WORK/new
for i in $(seq 0 299); do printf 'event-%03d-%s\n' "$i" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done |
  evlog append "$LOG" --segment-bytes 4096
# The first event fails and is not retried: replay exits with the group still at 0.
expect_status 5 evlog replay "$LOG" -g billing --max-attempts 1 -- false
assert_eq 0 "$(group_position "$LOG" billing)" "position after a failed first event"
evlog groups "$LOG" --json | grep -q '"group":"billing"' || fail "the group was not stored: $(evlog groups "$LOG")"
# Compaction that respects groups removes nothing the group has not processed.
evlog compact "$LOG" --before 200 2>"$WORK/stderr" || fail "compact: $(cat "$WORK/stderr")"
assert_eq 0 "$(evlog stat "$LOG" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["first_offset"])')" \
  "first offset after compact --before 200"
evlog replay "$LOG" -g billing -- sh -c 'echo "$EVLOG_OFFSET" >>"$1"' sh "$WORK/delivered" 2>/dev/null
assert_eq 300 "$(sort -un "$WORK/delivered" | wc -l | tr -d ' ')" "events delivered to the new group"

# A replay refused at start (its dead-letter log is the log itself) leaves no group behind.
expect_status 1 evlog replay "$LOG" -g typo --dead-letter "$LOG" -- true
evlog groups "$LOG" --json | grep -q '"group":"typo"' && fail "a refused replay created its group"

# A compaction waiting for the log's lock while a replay creates its group: whichever goes
# first, no event the group has not processed is removed (compaction read the groups
# before taking the lock, and removed the events of a group created meanwhile).
RACE=$WORK/race
for i in $(seq 0 299); do printf 'event-%03d-%s\n' "$i" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done |
  evlog append "$RACE" --segment-bytes 4096
flock -x "$RACE/LOCK" sleep 1 &
holder=$!
sleep 0.2
"$EVLOG" replay "$RACE" -g racer --max-attempts 1 -- false 2>/dev/null &
replayer=$!
BACKGROUND_PIDS+=("$replayer")
sleep 0.2
"$EVLOG" compact "$RACE" --before 200 >/dev/null 2>&1 &
compactor=$!
BACKGROUND_PIDS+=("$compactor")
wait "$holder" "$compactor"
wait "$replayer" || true
first=$(evlog stat "$RACE" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["first_offset"])')
position=$(group_position "$RACE" racer)
((first <= position)) || fail "compaction removed events the new group had not processed: the log starts at $first, the group is at $position"

# A replay killed inside its first event leaves the group stored too. "$EVLOG", not the
# evlog function: $! must be replay itself, or the kill hits a subshell and replay goes on.
LOG2=$WORK/killed
seq 0 9 | evlog append "$LOG2"
"$EVLOG" replay "$LOG2" -g g -- sh -c 'echo $$ >"$1"; exec sleep 30' sh "$WORK/child" >/dev/null 2>&1 &
pid=$!
BACKGROUND_PIDS+=("$pid")
# Inside its first event: once that event's command runs.
wait_until 60 "the first event's command started" test -s "$WORK/child"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
kill -KILL "$(cat "$WORK/child")" 2>/dev/null || true
evlog groups "$LOG2" --json | grep -q '"group":"g"' || fail "a replay killed in its first event left no group: $(evlog groups "$LOG2")"
assert_eq 0 "$(group_position "$LOG2" g)" "position after a kill in the first event"

# --- A position past the log's end ------------------------------------------------------
# A log restored from a copy of its segments older than its groups/ (as `cp -a` of a live
# log can make, or a power loss after acks of events appended with --sync none).
OLD=$WORK/old
seq 0 9 | evlog append "$OLD"
evlog ack "$OLD" -g g 4
mkdir "$WORK/copy"
cp -a "$OLD"/META "$OLD"/HEAD "$OLD"/*.seg "$WORK/copy/"
cp -a "$OLD"/*.idx "$WORK/copy/" 2>/dev/null || true
seq 10 19 | evlog append "$OLD"
evlog ack "$OLD" -g g 17
evlog ack "$OLD" -g h 17
evlog ack "$OLD" -g t 17
cp -a "$OLD/groups" "$WORK/copy/"
COPY=$WORK/copy
# tail -g reads from the end, where new events will go, and stores that position, so that
# the acks of a `tail -g | ack` pipeline count (it creates no group).
evlog tail "$COPY" -g t >"$WORK/tail.out" 2>"$WORK/stderr" || fail "tail -g: $(cat "$WORK/stderr")"
assert_eq "" "$(cat "$WORK/tail.out")" "tail -g from a position past the end"
assert_contains "$(cat "$WORK/stderr")" "group t was at offset 18, past the log's end (10)" "tail -g warning"
assert_eq 10 "$(group_position "$COPY" t)" "tail -g stores the end"
evlog tail "$COPY" -g nosuch >/dev/null 2>&1 || fail "tail -g of a missing group"
evlog groups "$COPY" --json | grep -q '"group":"nosuch"' && fail "tail -g created a group"
# replay moves the position back to the end, and says what it found.
evlog replay "$COPY" -g g -- true 2>"$WORK/stderr" || fail "replay: $(cat "$WORK/stderr")"
assert_contains "$(cat "$WORK/stderr")" "group g was at offset 18, past the log's end (10)" "replay warning"
assert_eq 10 "$(group_position "$COPY" g)" "position after the replay"
# Events appended now take offsets 10..19 again: every one of them is delivered.
seq 110 119 | evlog append "$COPY"
evlog replay "$COPY" -g g -- sh -c 'echo "$EVLOG_OFFSET $(cat)" >>"$1"' sh "$WORK/replayed" 2>"$WORK/stderr" ||
  fail "replay: $(cat "$WORK/stderr")"
assert_eq "$(for i in $(seq 10 19); do echo "$i 1$i"; done)" "$(cat "$WORK/replayed")" "replay of the new events"
assert_eq 20 "$(group_position "$COPY" g)" "position after the second replay"
# ack moves a position past the end back to it first (the log is at 20 now: make h and t
# past it again by restoring the old groups once more).
rm -rf "$COPY/groups"
cp -a "$OLD/groups" "$COPY/"
seq 120 129 | evlog append "$OLD"
evlog ack "$OLD" -g h 27
evlog ack "$OLD" -g t 27
rm -rf "$COPY/groups"
cp -a "$OLD/groups" "$COPY/"
assert_eq 28 "$(group_position "$COPY" t)" "t before its ack"
evlog ack "$COPY" -g t 12
assert_eq 20 "$(group_position "$COPY" t)" "ack below the end of a group past the end"
evlog ack "$COPY" -g h 19
assert_eq 20 "$(group_position "$COPY" h)" "ack of the last event by a group past the end"

# --- A reset or delete while replay works on the group stands --------------------------
RS=$WORK/reset
seq 0 199 | evlog append "$RS"
evlog ack "$RS" -g g 99
# The command of event 100 runs until $WORK/release exists, so the change always lands
# while replay works on the event, however slow the machine.
for change in "--reset-to 0 --execute" "--delete"; do
  evlog ack "$RS" -g g 99 2>/dev/null || true
  [[ $change == --delete* ]] && evlog groups "$RS" -g g --reset-to 100 --execute >/dev/null
  rm -f "$WORK/started" "$WORK/release"
  "$EVLOG" replay "$RS" -g g --to 101 -- sh -c 'touch "$1"; until [ -e "$2" ]; do sleep 0.05; done' \
    sh "$WORK/started" "$WORK/release" 2>"$WORK/replay.err" &
  pid=$!
  BACKGROUND_PIDS+=("$pid")
  wait_until 60 "replay's first event started" test -e "$WORK/started"
  # shellcheck disable=SC2086 # $change is two or three words
  evlog groups "$RS" -g g $change >/dev/null || fail "groups $change"
  touch "$WORK/release"
  status=0
  wait "$pid" || status=$?
  assert_eq 3 "$status" "replay's exit status after groups $change ($(cat "$WORK/replay.err"))"
  assert_contains "$(cat "$WORK/replay.err")" "was moved back to offset" "replay's message after groups $change"
  assert_contains "$(cat "$WORK/replay.err")" "offset 100 was not acked" "replay's message after groups $change"
done
assert_eq 0 "$(group_position "$RS" g)" "the group after a delete during replay"
evlog groups "$RS" --json | grep -q '"group":"g"' && fail "the deleted group came back: $(evlog groups "$RS")"
# Moved forward meanwhile (another consumer acked further): no conflict.
evlog groups "$RS" -g g --reset-to 100 --execute >/dev/null 2>&1 || evlog ack "$RS" -g g 99
rm -f "$WORK/started" "$WORK/release"
"$EVLOG" replay "$RS" -g g --to 101 -- sh -c 'touch "$1"; until [ -e "$2" ]; do sleep 0.05; done' \
  sh "$WORK/started" "$WORK/release" 2>"$WORK/replay.err" &
pid=$!
BACKGROUND_PIDS+=("$pid")
wait_until 60 "replay's first event started" test -e "$WORK/started"
evlog ack "$RS" -g g 150
touch "$WORK/release"
wait "$pid" || fail "replay after another consumer acked further: $(cat "$WORK/replay.err")"
assert_eq 151 "$(group_position "$RS" g)" "the group after a forward move during replay"

# --- Dead letters of the largest events --------------------------------------------------
BIG=$WORK/big
(echo small; head -c 1000 /dev/zero | tr '\0' x; echo; echo after) | evlog append "$BIG" --max-event-bytes 1K
for run in 1 2; do
  evlog replay "$BIG" -g g --max-attempts 1 --dead-letter "$WORK/big.dead" -- sh -c 'exit 65' 2>"$WORK/stderr" ||
    fail "replay run $run with dead letters: $(cat "$WORK/stderr")"
done
assert_eq 3 "$(event_count "$WORK/big.dead")" "dead letters of events up to the source's limit"
assert_eq 3 "$(group_position "$BIG" g)" "position after dead-lettering"
# A dead-letter log made too small beforehand is used, with a warning.
evlog append "$WORK/small.dead" --max-event-bytes 1K </dev/null
evlog replay "$BIG" -g g2 --max-attempts 1 --dead-letter "$WORK/small.dead" -- true 2>"$WORK/stderr" ||
  fail "replay with a small dead-letter log: $(cat "$WORK/stderr")"
assert_contains "$(cat "$WORK/stderr")" "warning: the dead-letter log $WORK/small.dead takes events of up to 1024 bytes" \
  "small dead-letter log"
echo PASS
