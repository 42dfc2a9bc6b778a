# Reading costs system calls per segment and per megabyte, never per event: counted with
# strace. A key-compacted log, which has a jump in offsets at nearly every event, once made
# `tail` read HEAD and list the directory at each jump (1.17 million system calls for
# 100,000 events); a plain log checks the same for the ordinary path.
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || fail "strace is missing (scripts/install-deps installs it)"

# syscalls_of COMMAND...: the number of system calls COMMAND makes (stdout discarded).
syscalls_of() {
  # LeakSanitizer cannot run under ptrace; a sanitized evlog's other checks still do.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -c -o "$WORK/strace.txt" "$@" >/dev/null ||
    fail "[$*] failed under strace"
  awk '$NF == "total" { print $4 }' "$WORK/strace.txt"  # % time, seconds, usecs/call, calls
}

EVENTS=20000
echo "== a key-compacted log: a jump in offsets at every other event"
seq 1 $EVENTS | awk '{ k = ($1 % 2) ? "shared" : "key" $1; print k ":" $1 " some padding to fill the segments" }' |
  evlog append "$WORK/keyed" -K : --segment-bytes 128K
evlog compact "$WORK/keyed" -q --keep-latest-per-key
kept=$(event_count "$WORK/keyed")
((kept < EVENTS * 3 / 4)) || fail "compaction left $kept of $EVENTS events: no jumps to test"
segments=$(find "$WORK/keyed" -name '*.seg' | wc -l)
calls=$(syscalls_of "$EVLOG" tail "$WORK/keyed" --from beginning)
echo "tail of $kept events in $segments segments: $calls system calls"
# Start-up (libraries, locale, the sanitizers' runtime) and a few dozen per segment.
((calls < 1500 + 40 * segments)) || fail "tail of a key-compacted log made $calls system calls: $(sort -k4 -n -r "$WORK/strace.txt" | head -5)"

echo "== a plain log"
seq 1 $EVENTS | evlog append "$WORK/plain" --segment-bytes 128K
segments=$(find "$WORK/plain" -name '*.seg' | wc -l)
calls=$(syscalls_of "$EVLOG" tail "$WORK/plain" --from beginning)
echo "tail of $EVENTS events in $segments segments: $calls system calls"
((calls < 1500 + 40 * segments)) || fail "tail of a plain log made $calls system calls: $(sort -k4 -n -r "$WORK/strace.txt" | head -5)"
echo PASS
