# `tail` and `export` read a long range with several readers at once (cli/commands/
# parallel_print.h). Whatever the options, they must print what one reader prints, fail
# where one reader fails, after the same events and with the same message, and `tail -f`
# must go on as one reader does. EVLOG_READ_THREADS=1 is the one reader.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
EVENTS=250000
# About 24 MiB over 1 MiB segments: six spans of 4 MiB, read by up to four readers in
# turn, with cuts both at segment starts and inside segments.
awk -v n="$EVENTS" 'BEGIN {
  pad = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
  for (i = 0; i < n; i++) printf "k%d\t%d %s\n", i % 13, i, substr(pad, 1, 60 + i % 50)
}' >"$WORK/input"
cut -f2- "$WORK/input" >"$WORK/payloads"
evlog append -K $'\t' --segment-bytes 1M "$LOG" <"$WORK/input"
[[ $(ls "$LOG"/*.seg | wc -l) -gt 15 ]] || fail "the log should span over fifteen 1 MiB segments"

# same WHAT ARGS...: `evlog ARGS` with one reader and with four give the same stdout, the
# same stderr and the same exit status. The output is left in $WORK/one.out.
same() {
  local what=$1 one=0 four=0
  shift
  EVLOG_READ_THREADS=1 "$EVLOG" "$@" >"$WORK/one.out" 2>"$WORK/one.err" || one=$?
  EVLOG_READ_THREADS=4 "$EVLOG" "$@" >"$WORK/four.out" 2>"$WORK/four.err" || four=$?
  assert_eq "$one" "$four" "$what: exit status"
  assert_files_equal "$WORK/one.out" "$WORK/four.out" "$what: stdout"
  assert_files_equal "$WORK/one.err" "$WORK/four.err" "$what: stderr"
}

same "every payload" tail "$LOG" --from beginning
assert_files_equal "$WORK/payloads" "$WORK/one.out" "every payload, in order"
same "--json" tail "$LOG" --from beginning --json
[[ $(wc -l <"$WORK/one.out") -eq $EVENTS ]] || fail "--json: one line per event"
same "--format" tail "$LOG" --from beginning --format '%o %k %T %S %h %s\n'
same "-0" tail "$LOG" --from beginning -0
same "--from inside a segment" tail "$LOG" --from 12345
assert_eq "12345 aaaaa" "$(head -1 "$WORK/one.out" | cut -c1-11 | tr 'bcdefghijklmnopqrstuvwxyz' 'a')" "--from 12345 starts there"
same "--from and --to" tail "$LOG" --from 1000 --to 150000
[[ $(wc -l <"$WORK/one.out") -eq 149001 ]] || fail "--from 1000 --to 150000: 149001 events"
same "--from -N" tail "$LOG" --from -100000
# --since and --until, at the timestamps of two events far apart.
since=$(evlog tail "$LOG" --from 40000 -c 1 --format '%T')
until=$(evlog tail "$LOG" --from 130000 -c 1 --format '%T')
same "--since and --until" tail "$LOG" --since "$since" --until "$until"
[[ -s "$WORK/one.out" ]] || fail "--since and --until: some events"
same "--key" tail "$LOG" --from beginning --key 'k1*' --format '%o %k\n'
[[ $(wc -l <"$WORK/one.out") -gt 30000 ]] || fail "--key k1*: k1, k10, k11, k12"
same "--grep" tail "$LOG" --from beginning --grep ' 1[0-9]*7 '

# The readers really are several: with stdout on a pipe nobody reads, every reader fills
# its blocks and waits, so the process has one thread per reader beside the writer's (and
# a sanitizer's runtime may add one of its own).
mkfifo "$WORK/fifo"
EVLOG_READ_THREADS=3 "$EVLOG" tail "$LOG" --from beginning >"$WORK/fifo" &
tail_pid=$!
BACKGROUND_PIDS+=("$tail_pid")
exec 3<"$WORK/fifo"
wait_until 30 "three readers beside the writer" bash -c '[[ $(ls /proc/'"$tail_pid"'/task | wc -l) -ge 4 ]]'
cat <&3 >"$WORK/fifo.out"
exec 3<&-
wait "$tail_pid"
assert_files_equal "$WORK/payloads" "$WORK/fifo.out" "payloads through a pipe"

# A reader that goes away (`| head`) ends tail quietly, with status 0.
set +o pipefail
status=$(EVLOG_READ_THREADS=4 "$EVLOG" tail "$LOG" --from beginning 2>"$WORK/head.err" | head -c 100 >/dev/null; echo "${PIPESTATUS[0]}")
set -o pipefail
assert_eq "0" "$status" "tail | head: exit status"
assert_eq "" "$(cat "$WORK/head.err")" "tail | head: nothing on stderr"

# -f: the parallel part ends at the committed end, then tail follows as one reader does.
EVLOG_READ_THREADS=4 "$EVLOG" tail "$LOG" --from beginning -f >"$WORK/follow.out" &
BACKGROUND_PIDS+=("$!")
wait_until 60 "the follower prints the log" bash -c "[[ \$(wc -l <'$WORK/follow.out') -eq $EVENTS ]]"
printf 'late 1\nlate 2\n' | evlog append "$LOG"
wait_until 30 "the follower prints later events" bash -c "[[ \$(wc -l <'$WORK/follow.out') -eq $((EVENTS + 2)) ]]"
cmp -s <(cat "$WORK/payloads"; printf 'late 1\nlate 2\n') "$WORK/follow.out" || fail "-f: the log, then the later events"

# --grep giving up (regex limits) on events in two different spans: counted across readers.
HOSTILE=$WORK/hostile
{
  head -n 40000 "$WORK/payloads"
  head -c 100000 /dev/zero | tr '\0' a; printf '!\n'
  sed -n '40001,120000p' "$WORK/payloads"
  head -c 100000 /dev/zero | tr '\0' a; printf '!\n'
  sed -n '120001,$p' "$WORK/payloads"
} | evlog append --segment-bytes 1M "$HOSTILE"
same "--grep giving up" tail "$HOSTILE" --from beginning --grep '(a+)+$'
assert_contains "$(cat "$WORK/one.err")" "gave up on 2 events (the first at offset 40000)" "--grep giving up: reported"

# Damage in a middle segment: the same events before it, the same error.
DAMAGED=$WORK/damaged
cp -r "$LOG" "$DAMAGED"
victim=$(ls "$DAMAGED"/*.seg | sed -n 12p)
printf 'X' | dd of="$victim" bs=1 seek=300000 conv=notrunc status=none
same "a damaged frame" tail "$DAMAGED" --from beginning
assert_contains "$(cat "$WORK/one.err")" "checksum" "a damaged frame: the error"
[[ -s "$WORK/one.out" ]] || fail "a damaged frame: the events before it are printed"
cmp -s "$WORK/one.out" <(head -c "$(stat -c %s "$WORK/one.out")" "$WORK/payloads") || fail "a damaged frame: a prefix"
same "a damaged frame, --json" tail "$DAMAGED" --from beginning --json

# A broken chain at one of tail's own cuts, which the reader starting there cannot see:
# the reader of the span before must read on to the cut and find it (Log::ReadSplits).
CHAINED=$WORK/chained
cp -r "$LOG" "$CHAINED"
cut_at=$("${EVLOG_BREAK_CHAIN_AT_CUT:?the test helper evlog_break_chain_at_cut}" "$CHAINED" $((4 << 20)))
same "a broken chain at a cut" tail "$CHAINED" --from beginning
assert_contains "$(cat "$WORK/four.err")" "chain mismatch" "a broken chain at a cut: the error"
assert_eq "$cut_at" "$(wc -l <"$WORK/four.out")" "a broken chain at a cut: every event before it"

# export: the same JSON lines as one reader, to stdout and to a file; a filter; --grep
# giving up fails the export and commits no file; damage fails it the same way.
same "export" export "$LOG"
assert_files_equal "$WORK/one.out" <(evlog tail "$LOG" --from beginning --json) "export is tail --json"
same "export --from --to --key" export "$LOG" --from 777 --to 200000 --key 'k3'
same "export -o" export "$LOG" -o "$WORK/export.json" --from 5
EVLOG_READ_THREADS=1 "$EVLOG" export "$LOG" -o "$WORK/export-one.json" --from 5
assert_files_equal "$WORK/export-one.json" "$WORK/export.json" "export -o: the file"
same "export, --grep giving up" export "$HOSTILE" --grep '(a+)+$' -o "$WORK/hostile.json"
[[ ! -e "$WORK/hostile.json" ]] || fail "export, --grep giving up: no file committed"
same "export of a damaged log" export "$DAMAGED" -o "$WORK/damaged.json"
[[ ! -e "$WORK/damaged.json" ]] || fail "export of a damaged log: no file committed"
same "export, a broken chain at a cut" export "$CHAINED"
assert_eq "$cut_at" "$(wc -l <"$WORK/four.out")" "export, a broken chain at a cut: every event before it, whole"
# A full disk under a long export: the error, and no file, whichever reads.
mkdir "$WORK/full"
for threads in 1 4; do
  status=0
  EVLOG_READ_THREADS=$threads EVLOG_ENOSPC_DIR=$WORK/full EVLOG_ENOSPC_AFTER=$((5 << 20)) LD_PRELOAD=${EVLOG_ENOSPC_SHIM:?set by ctest} \
    ASAN_OPTIONS=verify_asan_link_order=0 "$EVLOG" export "$LOG" -o "$WORK/full/file" 2>"$WORK/full.err" || status=$?
  assert_eq 1 "$status" "export on a full disk, $threads readers: exit status"
  assert_contains "$(cat "$WORK/full.err")" "No space left on device" "export on a full disk, $threads readers"
  [[ -z $(ls -A "$WORK/full") ]] || fail "export on a full disk, $threads readers: left $(ls -A "$WORK/full")"
done

# Ctrl-C stops an export whose filter passes nothing for long: the writing thread polls
# while it waits for output. 3000 events on which the regex gives up, each after a few
# milliseconds: seconds of work, interrupted once the export reads them.
SLOW=$WORK/slow
awk 'BEGIN { a = sprintf("%3000s", ""); gsub(/ /, "a", a); for (i = 0; i < 3000; i++) print a "!" }' |
  evlog append --segment-bytes 1M "$SLOW"
# A background job starts with SIGINT ignored, and a SIGINT sent before export catches it
# (SigCgt: SIGINT is bit 1, 0x2) is lost. Over 256 KiB read (its start reads a few KiB) means
# the export reads the segments: the filtering has begun.
reading_and_catching_int() {
  local caught bytes
  caught=$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  bytes=$(awk '/^rchar:/ {print $2}' "/proc/$1/io" 2>/dev/null) || return 1
  [[ -n $caught && -n $bytes ]] && (( (0x$caught & 2) && bytes > (256 << 10) ))
}
for threads in 1 4; do
  rm -f "$WORK/slow.json"
  status=0
  EVLOG_READ_THREADS=$threads "$EVLOG" export "$SLOW" --grep '(a+)+$' -o "$WORK/slow.json" 2>"$WORK/slow.err" &
  pid=$!
  BACKGROUND_PIDS+=("$pid")
  wait_until 60 "export reading its log, with SIGINT caught, $threads readers" reading_and_catching_int "$pid"
  kill -INT "$pid"
  wait "$pid" || status=$?
  assert_eq 130 "$status" "export interrupted while its filter passes nothing, $threads readers: exit status"
  assert_contains "$(cat "$WORK/slow.err")" "interrupted by signal 2" "export interrupted, $threads readers"
  [[ ! -e "$WORK/slow.json" ]] || fail "export interrupted, $threads readers: no file"
done
