# A segment replaced by a dangling symlink (issue 7, item 13): readers used to take the
# failed open for a segment removed by compaction and list again, forever. Every reader now
# fails at once with exit 4, naming the segment.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
for i in $(seq 1 60); do echo "event-$i"; done | while read -r line; do
  echo "$line" | evlog append "$LOG" --segment-bytes 4096
done
SEG0=$(printf '%020d.seg' 0)
[[ -e $LOG/$(printf '%020d.seg' 50) ]] || fail "expected a second segment"
rm "$LOG/$SEG0"
ln -s "$WORK/nowhere" "$LOG/$SEG0"
for cmd in "tail LOG -n 100" "tail LOG --since 2000-01-01" "stat LOG" "export LOG" "verify LOG"; do
  args=(${cmd/LOG/$LOG})
  expect_status 4 timeout 60 "$EVLOG" "${args[@]}" >"$WORK/stdout"
  assert_contains "$(cat "$WORK/stderr" "$WORK/stdout")" "$SEG0" "$cmd names the segment"
done
echo "ok"
