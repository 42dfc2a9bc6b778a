# A commit that syncs starts the write-back of each chunk of frames as soon as it is written
# (sync_file_range with SYNC_FILE_RANGE_WRITE alone), so that the device works while the
# next chunk is prepared instead of idling until fdatasync: on the development machine this
# took `evlog append` of 140 MB from 0.45-0.50 s to 0.27-0.35 s (dd conv=fdatasync:
# 0.19-0.24 s). Checked with strace:
#   - every chunk written to a segment by a synced commit, except the last before that
#     segment's next fdatasync (which waits for it at once), was handed to sync_file_range
#     before the next chunk was written; so a single-event commit makes no extra call;
#   - no call asks to wait (SYNC_FILE_RANGE_WAIT_BEFORE/AFTER): a wait would collect a
#     write-back error for this file, and the fdatasync that must report it would not;
#   - with --sync none nothing is started: write-back is the kernel's business there.
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || fail "strace is missing (scripts/install-deps installs it)"

# trace LOG OUT ARGS...: appends the input file to LOG under strace, writing the trace to OUT.
trace() {
  local log=$1 out=$2
  shift 2
  # LeakSanitizer cannot run under ptrace; a sanitized evlog's other checks still do.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -qq -e trace=openat,pwrite64,pwritev,sync_file_range,fdatasync -e signal=none -o "$out" \
    "$EVLOG" append "$log" "$@" <"$WORK/input" >/dev/null || fail "append of $log failed under strace"
}

# 70,000 events of 150 bytes: 10 MB, several chunks in each batch and two segments.
seq 1 70000 | awk '{ printf "event %08d %s\n", $1, "padding padding padding padding padding padding padding padding padding padding padding padding padding padding" }' >"$WORK/input"

trace "$WORK/synced" "$WORK/synced.trace" --segment-bytes 4M
# Replays the trace: which descriptor is which segment, what was written to it since its
# last fdatasync, and what sync_file_range covered of that.
python3 - "$WORK/synced.trace" <<'EOF' || fail "write-back of a synced append: see above"
import re, sys
fds, unkicked, kicks, syncs, problems = {}, {}, 0, 0, []
for line in open(sys.argv[1]):
    call = re.match(r'\d+\s+(\w+)\((\d+)?(.*)\)\s+=\s+(-?\d+)', line)
    if not call:
        continue
    name, fd, rest, ret = call.group(1), call.group(2), call.group(3), int(call.group(4))
    if name == 'openat':
        path = re.search(r'"([^"]*)"', line).group(1)
        if path.endswith('.seg'):
            fds[ret] = path
        else:
            fds.pop(ret, None)  # a descriptor number is reused once closed
        continue
    fd = int(fd)
    if fd not in fds:
        continue
    if name == 'pwrite64':
        offset = int(rest.rsplit(',', 1)[1])
        if ret > 64:  # frames, not the segment's header
            for w in unkicked.get(fd, []):
                problems.append(f'{fds[fd]}: bytes {w[0]}..{w[1]} written, then more without their write-back started')
            unkicked[fd] = [(offset, offset + ret)]
    elif name == 'sync_file_range':
        offset, length, flags = [f.strip() for f in rest.split(',')[1:4]]
        kicks += 1
        if flags != 'SYNC_FILE_RANGE_WRITE':
            problems.append(f'sync_file_range with flags {flags}: only SYNC_FILE_RANGE_WRITE may be asked')
        start, end = int(offset), int(offset) + int(length)
        unkicked[fd] = [w for w in unkicked.get(fd, []) if not (start <= w[0] and w[1] <= end)]
    elif name == 'fdatasync':
        syncs += 1
        unkicked[fd] = []  # the last chunk: fdatasync writes it back now
print(f'{len(set(fds.values()))} segments, {kicks} write-backs started, {syncs} fdatasyncs of segments')
if len(set(fds.values())) < 2 or syncs < 2:
    problems.append('the input did not make the several segments and syncs this test needs')
if kicks < 6:
    problems.append(f'{kicks} write-backs started for 10 MB synced in batches of a few MB: '
                    'expected one for each chunk of 1 MiB but the last of each commit')
for p in problems[:10]:
    print('FAIL:', p)
sys.exit(1 if problems else 0)
EOF

# One event per commit: nothing to overlap, so no call beyond write and fdatasync.
head -n 50 "$WORK/input" >"$WORK/input.small"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
  strace -f -qq -e trace=sync_file_range,fdatasync -e signal=none -o "$WORK/always.trace" \
  "$EVLOG" append "$WORK/always" --sync always <"$WORK/input.small" >/dev/null || fail "append --sync always failed under strace"
assert_eq 0 "$(grep -c 'sync_file_range' "$WORK/always.trace" || true)" "write-backs started by single-event commits"
(($(grep -c 'fdatasync' "$WORK/always.trace") >= 50)) || fail "append --sync always made fewer than 50 fdatasyncs: $(cat "$WORK/always.trace")"

trace "$WORK/unsynced" "$WORK/unsynced.trace" --segment-bytes 4M --sync none
kicks=$(grep -c 'sync_file_range' "$WORK/unsynced.trace" || true)
assert_eq 0 "$kicks" "write-backs started by an append with --sync none"

# Both logs hold the input, in order.
assert_eq "$(cat "$WORK/input")" "$(evlog tail "$WORK/synced" --from beginning)" "the synced log's events"
assert_eq "$(cat "$WORK/input")" "$(evlog tail "$WORK/unsynced" --from beginning)" "the unsynced log's events"
echo PASS
