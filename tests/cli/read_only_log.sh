# A log its user may read but not write (issue 11): every read-only command works and writes
# nothing; every command that would write fails with exit 1 naming the file and saying
# "Permission denied", never "damaged". Run as root, the reader is `nobody` (setpriv);
# run as another user, that user is already subject to the file modes.
source "$(dirname "$0")/lib.sh"

if [[ $EUID == 0 ]]; then
  as_reader() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$EVLOG" "$@"; }
  chmod 711 "$WORK"  # mktemp -d made it 700: let the reader reach the log, not list $WORK
else
  as_reader() { "$EVLOG" "$@"; }
fi
SHARED=$WORK/shared
mkdir -m 755 "$SHARED"
LOG=$SHARED/log
printf 'a:1\nb:2\nc:3\nd:4\ne:5\n' | evlog append "$LOG" -K : -H h=x --segment-bytes 4096
seq 1 200 | evlog append "$LOG"  # a few segments
evlog ack -g billing "$LOG" 2
evlog ack -g search "$LOG" 4
chmod -R a+rX,a-w "$LOG"
# What the log looks like, to the nanosecond: no reader may change a byte, a time or a name.
snapshot() { (cd "$LOG" && find . -printf '%p %s %T@ %m\n' | sort && find . -type f -exec sha1sum {} + | sort); }
snapshot >"$WORK/before"

# Reading works.
assert_eq 205 "$(as_reader tail --from beginning "$LOG" | wc -l | tr -d ' ')" "tail"
assert_eq "$(printf 'd\ne')" "$(as_reader tail -g billing -c 2 --format '%k\n' "$LOG")" "tail -g"
as_reader tail --json -n 1 "$LOG" >/dev/null || fail "tail --json"
as_reader export "$LOG" >"$WORK/export.jsonl" || fail "export"
assert_eq 205 "$(wc -l <"$WORK/export.jsonl" | tr -d ' ')" "export"
as_reader export --format archive "$LOG" >"$WORK/export.evlog" || fail "export --format archive"
out=$(as_reader verify "$LOG") || fail "verify on a read-only log: $out"
assert_contains "$out" "2 groups" "verify checks the groups"
assert_contains "$out" "ok: no problem found" "verify"
out=$(as_reader stat "$LOG") || fail "stat on a read-only log"
assert_contains "$out" "group          billing  position 3  lag 202" "stat groups"
assert_contains "$(as_reader stat --json "$LOG")" '{"group":"search","position":5,"lag":200}' "stat --json"
out=$(as_reader groups "$LOG") || fail "groups on a read-only log"
assert_contains "$out" "billing  3" "groups lists billing"
assert_contains "$out" "search   5" "groups lists search"
as_reader groups -g search --json "$LOG" | grep -q '"position":5' || fail "groups -g --json"
as_reader groups -g billing --reset-to 0 "$LOG" >/dev/null 2>&1 || fail "a dry run needs no write access"

# Writing fails, says why and names the file.
expect_status 1 as_reader ack -g billing "$LOG" 3
assert_contains "$(cat "$WORK/stderr")" "$LOG/groups" "ack names the store"
assert_contains "$(cat "$WORK/stderr")" "Permission denied" "ack says permission denied"
expect_status 1 as_reader groups -g billing --reset-to 0 --execute "$LOG"
assert_contains "$(cat "$WORK/stderr")" "Permission denied" "groups --reset-to --execute"
expect_status 1 as_reader groups -g search --delete "$LOG"
assert_contains "$(cat "$WORK/stderr")" "Permission denied" "groups --delete"
expect_status 1 as_reader append "$LOG" <<<"nope"
assert_contains "$(cat "$WORK/stderr")" "$LOG/LOCK: Permission denied" "append names LOCK"
expect_status 1 as_reader verify --repair "$LOG"
assert_contains "$(cat "$WORK/stderr")" "Permission denied" "verify --repair"
expect_status 1 as_reader compact --before 100 --ignore-groups "$LOG"
assert_contains "$(cat "$WORK/stderr")" "Permission denied" "compact"
snapshot >"$WORK/after"
assert_files_equal "$WORK/before" "$WORK/after" "the read-only commands changed the log"

# A file the reader may not read is an error about permissions, not damage to set aside.
seg=$(cd "$LOG" && ls *.seg | head -1)
chmod 000 "$LOG/$seg"  # unreadable to the reader whoever it is
expect_status 1 as_reader verify "$LOG"
assert_contains "$(cat "$WORK/stderr")" "$seg: Permission denied" "unreadable segment"
[[ $(cat "$WORK/stderr") != *damaged* ]] || fail "an unreadable segment reported as damage: $(cat "$WORK/stderr")"
chmod 444 "$LOG/$seg"
chmod 000 "$LOG/groups/data.mdb"
expect_status 1 as_reader stat "$LOG"
assert_contains "$(cat "$WORK/stderr")" "data.mdb: open: Permission denied" "unreadable group store"
expect_status 1 as_reader verify "$LOG"
assert_contains "$(cat "$WORK/stderr")" "data.mdb: open: Permission denied" "verify: unreadable group store"
chmod 444 "$LOG/groups/data.mdb"

# A reader that cannot take LMDB's lock neither blocks nor disturbs a writer, and sees each
# committed position (positions only grow here).
chmod u+w "$LOG" "$LOG/groups" "$LOG/groups/"*.mdb "$LOG/LOCK"
( for i in $(seq 5 60); do "$EVLOG" ack -g billing "$LOG" "$i" || exit 1; done ) &
writer=$!
BACKGROUND_PIDS+=("$writer")
last=0
for _ in $(seq 1 20); do
  position=$(as_reader groups -g billing --json "$LOG" | sed -E 's/.*"position":([0-9]+).*/\1/') ||
    fail "groups while a writer commits"
  ((position >= last)) || fail "position went back from $last to $position"
  last=$position
done
wait "$writer" || fail "the writer failed beside a read-only reader"
assert_contains "$(as_reader groups -g billing "$LOG")" "billing  61" "final position"
echo "read_only_log: ok"
