# ack: commits a group's position, never backwards, never past the last event; without
# OFFSET, offsets come from stdin and each is committed as its line arrives.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
position() { evlog groups "$LOG" -g "$1" --json | sed -n 's/.*"position":\([0-9]*\).*/\1/p'; }
seq 0 9 | evlog append "$LOG"

evlog ack "$LOG" -g g 4
assert_eq 5 "$(position g)" "ack 4: everything up to 4 is processed"
evlog ack "$LOG" -g g 2
assert_eq 5 "$(position g)" "ack below the position is a no-op"
evlog ack "$LOG" --group g 4
assert_eq 5 "$(position g)" "ack of the last acked offset is a no-op"
expect_status 1 evlog ack "$LOG" -g g 10
assert_contains "$(cat "$WORK/stderr")" "evlog: ack: cannot ack offset 10: the log's last event is 9" "ack past the end"
assert_eq 5 "$(position g)" "a failed ack changes nothing"
evlog ack "$LOG" -g g 9
assert_eq 10 "$(position g)" "ack of the last event"

evlog append "$WORK/empty" </dev/null
expect_status 1 evlog ack "$WORK/empty" -g g 0
assert_contains "$(cat "$WORK/stderr")" "empty log" "ack on an empty log"
expect_status 1 evlog ack "$WORK/missing" -g g 0
[[ ! -e $WORK/missing ]] || fail "ack must not create a log"

# Offsets from stdin: blank lines ignored, spaces and CR trimmed, an unterminated last line
# counts, out-of-order offsets never move the position back.
printf '1\n\n  3 \r\n2\n6' >"$WORK/input"
evlog ack "$LOG" -g s <"$WORK/input"
assert_eq 7 "$(position s)" "offsets from stdin"

# The first bad line stops the command, names the line and says how far it got; the rest
# of the input is left unread for the next reader of the stream.
printf '7\n8x\n9\n' >"$WORK/input"
rest=$({ "$EVLOG" ack "$LOG" -g s 2>"$WORK/stderr" && echo "exit 0"; cat; } <"$WORK/input") || true
assert_eq 9 "$rest" "input after the bad line is not consumed"
assert_contains "$(cat "$WORK/stderr")" "evlog: ack: stdin line 2: '8x' is not an offset" "bad line"
assert_contains "$(cat "$WORK/stderr")" "1 offset acked before the error; group 's' is at position 8" "progress"
expect_status 1 evlog ack "$LOG" -g s <"$WORK/input"
printf '8\n\n50\n9\n' >"$WORK/input"
expect_status 1 evlog ack "$LOG" -g s <"$WORK/input"
assert_contains "$(cat "$WORK/stderr")" "stdin line 3: cannot ack offset 50" "offset past the end on stdin"
assert_contains "$(cat "$WORK/stderr")" "1 offset acked before the error; group 's' is at position 9" "progress"
printf '%s\n' "$(printf '1%.0s' {1..100})" >"$WORK/input"
expect_status 1 evlog ack "$LOG" -g s <"$WORK/input"
assert_contains "$(cat "$WORK/stderr")" "stdin line 1: '$(printf '1%.0s' {1..64})...' is not an offset" "long line"
# Padding of any length around an offset is allowed (a review found 70 spaces refused);
# blanks inside it are not.
printf '%70s%70s\n' 9 '' >"$WORK/input"
evlog ack "$LOG" -g pad <"$WORK/input" || fail "an offset padded with 139 blanks"
assert_eq 10 "$(position pad)" "padded offset"
printf '1%70s2\n' '' >"$WORK/input"
expect_status 1 evlog ack "$LOG" -g pad <"$WORK/input"
assert_contains "$(cat "$WORK/stderr")" "stdin line 1: '1 2' is not an offset" "blanks inside an offset"
# A stdin left non-blocking by the program sharing it is waited on (it failed with EAGAIN).
python3 - "$EVLOG" "$LOG" <<'PY' || fail "ack from a non-blocking stdin"
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)
ack = subprocess.Popen([sys.argv[1], "ack", sys.argv[2], "-g", "nonblocking"], stdin=r)
os.close(r)
for line in (b"3\n", b"4\n"):
    time.sleep(0.2)
    os.write(w, line)
os.close(w)
sys.exit(ack.wait())
PY
assert_eq 5 "$(position nonblocking)" "offsets from a non-blocking stdin"
# Group names are any bytes; the table shows control bytes escaped, never raw.
evlog ack "$LOG" -g "$(printf 'a\tb\033[31mc\\')" 0
table=$(evlog groups "$LOG")
assert_contains "$table" 'a\x09b\x1b[31mc\\' "a group name with control bytes in the table"
[[ $table != *$'\033'* && $table != *$'\t'* ]] || fail "the table holds raw control bytes: $table"
# Bytes that are not UTF-8, and the C1 controls (which some terminals obey), are escaped too;
# a UTF-8 letter is shown as it is.
evlog ack "$LOG" -g "$(printf 'd\xff\xc2\x9bé')" 0
assert_contains "$(evlog groups "$LOG")" 'd\xff\xc2\x9bé' "a group name with bytes that are not UTF-8"
# An input line that is not an offset is echoed with its control bytes escaped.
expect_status 1 evlog ack "$LOG" -g echoed <<<"$(printf 'x\033]0;title\007y')"
assert_contains "$(cat "$WORK/stderr")" "stdin line 1: 'x\x1b]0;title\x07y' is not an offset" "a bad line echoed escaped"
# A first ack creates the group even when it acks an event compaction removed already.
for i in $(seq 0 299); do printf 'event-%03d-%s\n' "$i" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done |
  evlog append "$WORK/compacted" --segment-bytes 4096
evlog compact "$WORK/compacted" --before 200 >/dev/null
first=$(evlog stat "$WORK/compacted" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["first_offset"])')
((first > 5)) || fail "compaction removed nothing: the log starts at $first"
evlog ack "$WORK/compacted" -g first 5
evlog groups "$WORK/compacted" --json | grep -q '"group":"first"' || fail "a first ack below the first offset created no group"
assert_eq "$first" "$(group_position "$WORK/compacted" first)" "the group created by an ack below the first offset"
evlog ack "$LOG" -g s </dev/null
assert_eq 9 "$(position s)" "empty input acks nothing"

# Each offset is committed as it arrives: the position moves while stdin is still open.
mkfifo "$WORK/offsets"
"$EVLOG" ack "$LOG" -g live <"$WORK/offsets" &
acker=$!
BACKGROUND_PIDS+=($acker)
exec 3>"$WORK/offsets"
echo 3 >&3
for ((i = 0; i < 600; i++)); do [[ $(position live) == 4 ]] && break; sleep 0.05; done
assert_eq 4 "$(position live)" "first line committed before the second arrives"
echo 5 >&3
for ((i = 0; i < 600; i++)); do [[ $(position live) == 6 ]] && break; sleep 0.05; done
assert_eq 6 "$(position live)" "second line committed while stdin is open"
exec 3>&-
wait $acker || fail "ack from a pipe exited with $?"

# The pipeline that closes the loop: what tail -g prints is acked, so the next tail -g
# starts after it.
evlog tail "$LOG" -g loop --format '%o\n' | evlog ack "$LOG" -g loop
assert_eq 10 "$(position loop)" "tail -g | ack"
assert_eq "" "$(evlog tail "$LOG" -g loop)" "nothing left for the group"
printf 'x\ny\n' | evlog append "$LOG"
assert_eq "$(printf 'x\ny')" "$(evlog tail "$LOG" -g loop)" "only the new events"
evlog tail "$LOG" -g loop --format '%o\n' | evlog ack "$LOG" -g loop
assert_eq 12 "$(position loop)" "second round"

expect_status 2 evlog ack "$LOG"
expect_status 2 evlog ack "$LOG" 3
assert_contains "$(cat "$WORK/stderr")" "evlog: ack:" "usage error names the subcommand"
expect_status 2 evlog ack "$LOG" -g ''
expect_status 2 evlog ack "$LOG" -g "$(printf 'x%.0s' {1..256})"
expect_status 2 evlog ack "$LOG" -g g x
expect_status 2 evlog ack "$LOG" -g g 1 2
evlog ack --help | grep -q -- --group || fail "ack --help lacks --group"
echo PASS
