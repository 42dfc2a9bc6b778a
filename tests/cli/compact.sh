# compact: --before, --retain-bytes and --retain-age remove old closed segments, oldest
# first; unacked events and the active segment stay, with the reason printed; --dry-run
# changes nothing.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
seq 0 1999 | evlog append "$LOG" --segment-bytes 4096
name() { printf '%020d.seg' "$1"; }
bases() { for f in "$LOG"/*.seg; do f=${f##*/}; echo $((10#${f%.seg})); done; }
mapfile -t SEGS < <(bases)
((${#SEGS[@]} >= 6)) || fail "expected at least 6 segments, got ${#SEGS[@]}"

expect_status 2 evlog compact "$LOG"
assert_contains "$(cat "$WORK/stderr")" "evlog: compact: give at least one of --retain-bytes, --retain-age, --before" "no limit"
expect_status 2 evlog compact "$LOG" --retain-age 7
expect_status 2 evlog compact "$LOG" --retain-bytes lots
expect_status 2 evlog compact "$LOG" --before somewhere
expect_status 1 evlog compact "$WORK/missing" --before end

# --dry-run lists each segment and the totals, and changes nothing.
snapshot() { (cd "$LOG" && ls -l --time-style=+%s.%N && find . -maxdepth 1 -type f -exec md5sum {} + | sort); }
before=$(snapshot)
out=$(evlog compact "$LOG" --before "${SEGS[2]}" --dry-run 2>"$WORK/stderr")
assert_eq "$before" "$(snapshot)" "--dry-run changes nothing"
assert_contains "$out" "would remove $(name 0): offsets 0..$((SEGS[1] - 1)), ${SEGS[1]} events, " "--dry-run segment line"
assert_contains "$out" "would remove 2 segments (offsets 0..$((SEGS[2] - 1))): ${SEGS[2]} events, " "--dry-run totals"
assert_contains "$out" "the log would start at offset ${SEGS[2]}" "--dry-run first offset"
assert_contains "$(cat "$WORK/stderr")" "dry run: nothing changed" "--dry-run note"

# --before POS: segments whose events all lie before POS.
out=$(evlog compact "$LOG" --before "$((SEGS[3] - 1))")
assert_contains "$out" "removed 2 segments (offsets 0..$((SEGS[2] - 1))): ${SEGS[2]} events, " "--before"
assert_contains "$out" "the log now starts at offset ${SEGS[2]}" "--before first offset"
assert_eq "$(seq "${SEGS[2]}" 1999)" "$(evlog tail "$LOG" --from beginning)" "events after --before"
[[ ! -e $LOG/$(printf '%020d.idx' 0) ]] || fail "the index of a removed segment is left"

# A consumer group keeps what it has not acked, until --ignore-groups.
evlog ack "$LOG" -g billing $((SEGS[3] + 2))
out=$(evlog compact "$LOG" --before end)
assert_contains "$out" "removed 1 segment (offsets ${SEGS[2]}..$((SEGS[3] - 1)))" "up to the group"
assert_contains "$out" "kept $(name "${SEGS[3]}"): group 'billing' is at offset $((SEGS[3] + 3))" "kept for a group"
assert_eq "$(seq "${SEGS[3]}" 1999)" "$(evlog tail "$LOG" --from beginning)" "unacked events stay"

# --retain-age DUR: nothing is a week old yet.
assert_eq "removed nothing; the log starts at offset ${SEGS[3]}" \
  "$(evlog compact "$LOG" --retain-age 7d --ignore-groups)" "--retain-age 7d"

# --retain-bytes SIZE: the newest two segment files hold the budget, so older ones go.
last=$((${#SEGS[@]} - 1))
budget=$(($(stat -c %s "$LOG/$(name "${SEGS[last - 1]}")") + $(stat -c %s "$LOG/$(name "${SEGS[last]}")")))
evlog compact "$LOG" --retain-bytes "$budget" --ignore-groups >/dev/null
assert_eq "$(printf '%s\n' "${SEGS[last - 1]}" "${SEGS[last]}")" "$(bases)" "--retain-bytes"
# The group's lag counts the events it can still read, not those removed before it got them.
assert_contains "$(evlog groups "$LOG" --json)" "\"position\":$((SEGS[3] + 3)),\"lag\":$((2000 - SEGS[last - 1]))," "lag after --ignore-groups"
assert_contains "$(evlog stat "$LOG")" "position $((SEGS[3] + 3))  lag $((2000 - SEGS[last - 1]))" "stat's lag after --ignore-groups"

# The active segment always stays; the log goes on.
out=$(evlog compact "$LOG" --retain-age 0s --ignore-groups)
assert_contains "$out" "kept $(name "${SEGS[last]}"): it is the active segment" "the active segment stays"
assert_eq "${SEGS[last]}" "$(bases)" "only the active segment is left"
printf 'more\n' | evlog append "$LOG"
assert_eq "more" "$(evlog tail "$LOG" -n 1)" "append after compaction"
assert_eq "${SEGS[last]}" "$(evlog tail "$LOG" --from beginning -c 1)" "the first remaining event"
evlog verify "$LOG" >/dev/null || fail "verify after compaction"
echo PASS
