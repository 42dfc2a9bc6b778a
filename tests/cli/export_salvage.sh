# export --salvage (issue 7, item 20): one flipped byte in a 3000-line batch used to make all
# 3000 events unreadable. Salvage writes every event that still decodes as JSON lines, marks
# the ones from damaged batches "unverified":true, reports on stderr how many and from where,
# and exits 4 because the log is damaged.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
echo before | evlog append "$LOG"
seq 1 3000 | evlog append "$LOG" --atomic
echo after | evlog append "$LOG"
SEG0=$(printf '%020d.seg' 0)
BATCH_AT=$((64 + 80))  # after the frame of "before"
printf '\xff' | dd of="$LOG/$SEG0" bs=1 seek=$((BATCH_AT + 64 + 20000)) conv=notrunc 2>/dev/null
expect_status 4 evlog tail "$LOG" -n 5

expect_status 4 evlog export "$LOG" --salvage -o "$WORK/salvaged.jsonl"
stderr=$(cat "$WORK/stderr")
assert_contains "$stderr" "salvage: 2 verified events, " "summary counts verified events"
assert_contains "$stderr" "segment $SEG0 at byte $BATCH_AT: checksum mismatch;" "summary names where"
total=$(wc -l <"$WORK/salvaged.jsonl")
unverified=$(grep -c '"unverified":true' "$WORK/salvaged.jsonl")
((unverified >= 2999 && total == unverified + 2)) || fail "salvaged $total lines, $unverified unverified"
assert_contains "$stderr" "$unverified unverified events from 1 damaged stretch" "summary counts unverified events"
assert_eq '{"offset":0,' "$(head -1 "$WORK/salvaged.jsonl" | cut -c1-12)" "first line"
head -1 "$WORK/salvaged.jsonl" | grep -q unverified && fail "a verified event was marked unverified"
assert_contains "$(sed -n 2p "$WORK/salvaged.jsonl")" '"payload":"1","unverified":true}' "an unverified event"
assert_contains "$(tail -1 "$WORK/salvaged.jsonl")" '"payload":"after"}' "events after the damage are verified"

# A healthy log: the same lines as export, exit 0.
LOG2=$WORK/healthy
seq 1 5 | evlog append "$LOG2"
evlog export "$LOG2" --salvage >"$WORK/healthy.jsonl" 2>"$WORK/stderr"
assert_files_equal "$WORK/healthy.jsonl" <(evlog export "$LOG2") "salvage of a healthy log"
assert_contains "$(cat "$WORK/stderr")" "salvage: 5 verified events, 0 unverified events" "healthy summary"
expect_status 2 evlog export "$LOG2" --salvage --format archive
echo "ok"
