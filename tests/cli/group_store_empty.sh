# An empty groups/data.mdb is damage, never a store still to be initialised: evlog creates
# data.mdb complete or not at all (format-spec §11), so only a truncation leaves one. Read as
# "no groups", it lost every position, and compaction then removed the events the groups had
# not acked. Every command that reads the groups refuses it, exit 4, naming the file, and
# changes nothing; removing the file (the way out for an older evlog's crash leftover) leaves
# a log without groups.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
seq 1 600 | evlog append "$LOG" --segment-bytes 4096
evlog ack "$LOG" -g billing 5
: >"$LOG/groups/data.mdb"

# Every entry's name, type, size, mtime and content: what "changed nothing" compares. Not
# HEAD: the writers (ack, compact, replay) take the log's lock, which rewrites it (§8).
snapshot() {
  (cd "$1" && find . ! -name HEAD -printf '%p %y %s %T@\n' | sort &&
    find . -type f ! -name HEAD -exec sha256sum {} + | sort)
}
snapshot "$LOG" >"$WORK/before"
for cmd in "groups LOG" "groups LOG --json" "stat LOG" "verify LOG" "tail LOG -g billing" "ack LOG -g billing 6" \
  "compact LOG --before end" "export LOG --format archive -o $WORK/archive" "replay LOG -g billing -- true"; do
  args=(${cmd/LOG/$LOG})
  expect_status 4 evlog "${args[@]}" >"$WORK/stdout"
  report=$(cat "$WORK/stderr" "$WORK/stdout")  # verify reports on stdout
  assert_contains "$report" "$LOG/groups/data.mdb: the consumer-group store is empty (0 bytes)" "$cmd names the store"
  assert_contains "$report" "remove this file" "$cmd says what to do"
  if [[ $cmd == "verify LOG" ]]; then
    # --repair --force sets segments aside and does nothing for the group store.
    assert_contains "$report" "the events are intact; the consumer-group store is damaged" "verify's advice"
    [[ $report != *"--repair --force"* ]] || fail "verify advises --repair --force for a damaged group store"
  fi
done
snapshot "$LOG" >"$WORK/after"
diff "$WORK/before" "$WORK/after" >&2 || fail "a command changed the log or its empty group store"

# The way out for a store no group was ever stored in: remove data.mdb. Reading commands then
# see no groups and create nothing; the first writer creates the store.
rm "$LOG/groups/data.mdb"
assert_eq "" "$(evlog groups "$LOG" --json)" "groups without data.mdb"
evlog stat "$LOG" >/dev/null
evlog verify "$LOG" >/dev/null
[[ ! -e $LOG/groups/data.mdb ]] || fail "a reading command created groups/data.mdb"
evlog ack "$LOG" -g billing 5
assert_eq 6 "$(group_position "$LOG" billing)" "billing after the store was created again"
[[ -z $(find "$LOG/groups" -name '*.tmp') ]] || fail "creating the store left its build directory"
echo "ok"
