# LOG/QUEUE damaged by another program while appenders use it (format-spec §6.8). QUEUE is
# memory the appending processes share; a program that truncates it while it is mapped
# makes the next touch of a page past its new end raise SIGBUS. A process checks the size
# before it touches the file after taking the lock, and maps it again if it was cut; one
# caught in the middle must say so and stop (exit 1). Every append that exited 0 must be in
# the log: a review found appends acknowledged at the offset of another process's event
# after `: > LOG/QUEUE` under load.
source "$(dirname "$0")/lib.sh"

# make_queue LOG: QUEUE with LOG's header and every slot free, as format-spec §6.8 lays it
# out, written from the spec rather than by evlog.
make_queue() {
  python3 - "$1" <<'PY'
import sys
log = sys.argv[1]
log_id = open(log + "/META", "rb").read()[16:32]
header = b"EVLOGQUE" + (1).to_bytes(4, "little") + (64).to_bytes(4, "little") + (16384).to_bytes(4, "little")
header += bytes(4) + log_id
with open(log + "/QUEUE", "wb") as f:
    f.write(header)
    f.truncate(4096 + 64 * 16384)
PY
}

# --- a streaming append whose mapped QUEUE is truncated between its commits: it looks
# before it touches the file again, so it goes on.
log="$WORK/streamed"
echo zero | evlog append "$log"
make_queue "$log"
mkfifo "$WORK/in"
"$EVLOG" append -p --sync always "$log" <"$WORK/in" >"$WORK/offsets" 2>"$WORK/stream.err" &
appender=$!
BACKGROUND_PIDS+=("$appender")
exec 3>"$WORK/in"
echo one >&3
wait_until 30 "the first streamed event's offset" grep -qx 1 "$WORK/offsets"
truncate -s 0 "$log/QUEUE"
echo two >&3
exec 3>&-
status=0
wait "$appender" || status=$?
assert_eq 0 "$status" "exit status of a streaming append whose QUEUE was truncated (stderr: $(cat "$WORK/stream.err"))"
assert_eq "zero
one
two" "$(evlog tail "$log" --from beginning)" "the streamed events"

# --- an append waiting in its slot while QUEUE is truncated: its next look at the slot
# meets the cut (SIGBUS); it says so and exits 1, and nothing of it reaches the log.
log="$WORK/cut"
echo first | evlog append "$log"
make_queue "$log"
ready_slot() {  # prints the first READY slot of LOG's QUEUE; fails if there is none
  python3 - "$1/QUEUE" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
for slot in range(64):
    at = 4096 + slot * 16384
    if int.from_bytes(data[at:at + 4], "little") == 1:
        print(slot)
        sys.exit(0)
sys.exit(1)
PY
}
exec 4>"$log/LOCK"
flock 4
(echo mine | "$EVLOG" append "$log" 2>"$WORK/cut.err") 4>&- &  # not sharing the lock's descriptor
appender=$!
BACKGROUND_PIDS+=("$appender")
wait_until 30 "the append's offer in QUEUE" ready_slot "$log" >/dev/null
truncate -s 0 "$log/QUEUE"
exec 4>&-  # it may have given up polling and be waiting for the lock (format-spec §6.8 step 3)
status=0
wait "$appender" || status=$?
assert_eq 1 "$status" "exit status of an append whose QUEUE was cut under it (stderr: $(cat "$WORK/cut.err"))"
assert_contains "$(cat "$WORK/cut.err")" "cut short by another program while in use" "the message"
assert_eq "first" "$(evlog tail "$log" --from beginning)" "the log after the cut"
evlog verify "$log" >/dev/null || fail "verify after the cut"

# --- a waiting append whose slot another program zeroes: the outcome is unknown, and both
# messages say so (the slot's state reads FREE, which only its owner sets).
log="$WORK/zeroed"
echo first | evlog append "$log"
make_queue "$log"
exec 4>"$log/LOCK"
flock 4
status=0
(echo mine | "$EVLOG" append "$log" 2>"$WORK/zeroed.err") 4>&- &  # not sharing the lock's descriptor
appender=$!
BACKGROUND_PIDS+=("$appender")
wait_until 30 "the append's offer in QUEUE" ready_slot "$log" >/dev/null
slot=$(ready_slot "$log")
dd if=/dev/zero of="$log/QUEUE" bs=16384 seek=$((4096 + slot * 16384)) oflag=seek_bytes count=1 conv=notrunc \
  status=none || fail "zeroing slot $slot"
exec 4>&-
wait "$appender" || status=$?
assert_eq 1 "$status" "exit status of an append whose slot was zeroed (stderr: $(cat "$WORK/zeroed.err"))"
assert_contains "$(cat "$WORK/zeroed.err")" "was reset by another program while they waited" "the cause"
assert_contains "$(cat "$WORK/zeroed.err")" "whether the events of the commit that failed are in the log is unknown" \
  "the progress line"
assert_eq "first" "$(evlog tail "$log" --from beginning)" "the log after the zeroed slot"

# --- appenders in several processes while QUEUE is truncated again and again: no process
# dies of a signal, and every append that exited 0 is in the log, once, at its offset.
log="$WORK/concurrent"
echo first | evlog append "$log"
make_queue "$log"
(for _ in $(seq 100); do : >"$log/QUEUE"; sleep 0.01; done) &
truncator=$!
BACKGROUND_PIDS+=("$truncator")
writers=()
for w in 1 2 3 4; do
  (
    for j in $(seq 60); do
      status=0
      offset=$(echo "w$w-$j" | "$EVLOG" -q append -p "$log" 2>>"$WORK/errors.$w") || status=$?
      echo "w$w-$j $status $offset"
    done >"$WORK/outcomes.$w"
  ) &
  writers+=($!)
done
BACKGROUND_PIDS+=("${writers[@]}")
for pid in "${writers[@]}"; do wait "$pid"; done
wait "$truncator"
evlog tail "$log" --format '%o %s\n' --from beginning >"$WORK/in-log"
acknowledged=0
while read -r event status offset; do
  ((status < 128)) || fail "an append of $event died of signal $((status - 128)): $(cat "$WORK"/errors.*)"
  [[ $status == 0 ]] || continue
  acknowledged=$((acknowledged + 1))
  grep -qx "$offset $event" "$WORK/in-log" || fail "$event was acknowledged at offset $offset, which holds [$(grep "^$offset " "$WORK/in-log")]"
  [[ $(grep -c " $event\$" "$WORK/in-log") == 1 ]] || fail "$event is in the log more than once"
done < <(cat "$WORK"/outcomes.*)
((acknowledged > 0)) || fail "no append succeeded"
evlog verify "$log" >/dev/null || fail "verify after the truncations"
echo "ok: $acknowledged of 240 appends acknowledged, each in the log at its offset"
