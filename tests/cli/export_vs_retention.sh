# export: the range is fixed when the export starts; if retention (`compact`) removes events
# of it while they are being read, the export fails (exit 1) naming the hole, rather than
# ending with a hole and exit 0 (a review's finding: a backup that silently lacked 8,279 of
# its 20,000 events). Key compaction's gaps are not holes.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
# The export writes into a FIFO that is read one line, then left full: the export has
# fixed its range and waits while retention removes the oldest three quarters.
for threads in 1 2; do
  rm -rf "$LOG" "$WORK/fifo" && mkfifo "$WORK/fifo"
  seq 0 199999 | sed 's/$/-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/' | evlog append "$LOG" --segment-bytes 65536
  EVLOG_READ_THREADS=$threads "$EVLOG" export "$LOG" >"$WORK/fifo" 2>"$WORK/export.err" &
  exporter=$!
  BACKGROUND_PIDS+=("$exporter")
  exec 3<"$WORK/fifo"
  read -r first <&3
  assert_contains "$first" '"offset":0,' "the export started ($threads threads)"
  evlog compact "$LOG" --before 150000 --ignore-groups >/dev/null
  cat <&3 >"$WORK/rest"
  exec 3<&-
  status=0
  wait "$exporter" || status=$?
  assert_eq 1 "$status" "exit status of an export that lost events ($threads threads)"
  assert_contains "$(cat "$WORK/export.err")" "of the range were removed from $LOG (evlog compact) while they were being exported, so the export would be incomplete" "the hole is named ($threads threads)"
  # The next export starts where the log now starts, and is whole.
  first_offset=$(evlog stat "$LOG" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["first_offset"])')
  assert_eq $((200000 - first_offset)) "$(evlog export "$LOG" | wc -l)" "a later export ($threads threads)"
done

# Key compaction leaves gaps on purpose: an export across them succeeds.
KEYED=$WORK/keyed
for i in $(seq 1 3000); do echo "k$((i % 10)):$i"; done | evlog append -K : "$KEYED" --segment-bytes 4096
printf 'last\n' | evlog append "$KEYED"
evlog compact "$KEYED" --keep-latest-per-key >/dev/null
expect_status 0 evlog export "$KEYED" -o "$WORK/keyed.ndjson"
assert_eq "$(evlog tail "$KEYED" --from beginning --format '%o\n')" "$(python3 -c '
import json, sys
for line in open(sys.argv[1]): print(json.loads(line)["offset"])' "$WORK/keyed.ndjson")" "every event across the gaps"
(($(wc -l <"$WORK/keyed.ndjson") < 3001)) || fail "key compaction left no gaps to cross"
echo PASS
