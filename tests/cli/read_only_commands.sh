# Commands that only read a log (groups, stat, verify, ls, tail, export, compact --dry-run)
# never create or write its group store, not even LMDB's lock file: every file and
# directory of the log keeps
# its bytes and its mtime. They once opened the store through LMDB whenever they could write
# it, which created groups/ and its files, and wrote reader slots into lock.mdb.
source "$(dirname "$0")/lib.sh"

snapshot() {
  (cd "$1" && find . -printf '%p %y %s %T@\n' | sort && find . -type f -exec sha256sum {} + | sort)
}
read_everything() {
  evlog groups "$1" >/dev/null
  evlog groups "$1" --json >/dev/null
  evlog stat "$1" >/dev/null
  evlog verify "$1" >/dev/null
  evlog ls "$1" >/dev/null
  evlog tail "$1" --from beginning >/dev/null
  evlog tail "$1" -g billing >/dev/null
  evlog export "$1" --format archive -o "$WORK/archive"
  # A dry run reads the groups to say what they keep: it opened the store for writing,
  # and created one in a groups/ without data.mdb.
  evlog compact "$1" --before end --dry-run >/dev/null 2>&1
  evlog compact "$1" --keep-latest-per-key --dry-run >/dev/null 2>&1
}

LOG=$WORK/log
seq 1 10 | evlog append "$LOG"
for state in "no groups/" "groups/ without data.mdb" "a store with groups"; do
  case $state in
    "groups/ without data.mdb") mkdir "$LOG/groups" ;;
    "a store with groups")
      rmdir "$LOG/groups"
      evlog ack "$LOG" -g billing 3
      evlog ack "$LOG" -g audit 1 ;;
  esac
  sleep 0.01  # an mtime written by a read would differ from the one written above
  snapshot "$LOG" >"$WORK/before"
  read_everything "$LOG"
  snapshot "$LOG" >"$WORK/after"
  assert_files_equal "$WORK/before" "$WORK/after" "reading a log with $state changed it"
done
assert_eq "audit 2,billing 4," "$(evlog groups "$LOG" | awk 'NR > 1 {printf "%s %s,", $1, $2}')" "the positions read"
echo "ok"
