# Files planted in a log directory (issue 7, items 4, 7, 11, 12, 13, 17, 19): links are never
# followed, special files never opened, a writer refuses a log it cannot prove intact, and
# readers see every acknowledged event past a stale HEAD without writing anything.
source "$(dirname "$0")/lib.sh"

new_log() {  # new_log DIR: three events a b c, one per append
  rm -rf "$1"
  for e in a b c; do echo "$e" | evlog append "$1"; done
}
seg0=00000000000000000000.seg

# A HEAD replaced by a symlink: a writer must not write through it.
L=$WORK/head-link
new_log "$L"
echo "precious" >"$WORK/outside"
rm "$L/HEAD"
ln -s "$WORK/outside" "$L/HEAD"
expect_status 4 evlog append "$L" <<<"d"
assert_contains "$(cat "$WORK/stderr")" "symbolic link" "HEAD link refused"
assert_eq "precious" "$(cat "$WORK/outside")" "the file HEAD linked to is untouched"

# An index or LOCK replaced by a symlink: never written through either.
for f in 00000000000000000000.idx LOCK; do
  new_log "$L"
  echo "precious" >"$WORK/outside"
  rm -f "$L/$f"
  ln -s "$WORK/outside" "$L/$f"
  printf '%s\n' $(seq 1 5000) | evlog append "$L" 2>/dev/null || true
  assert_eq "precious" "$(cat "$WORK/outside")" "the file $f linked to is untouched"
done

# A dangling symlink or a FIFO in place of a segment: readers report it, never hang or spin.
for kind in dangling fifo; do
  new_log "$L"
  rm "$L/$seg0"
  if [[ $kind == dangling ]]; then ln -s "$WORK/nowhere" "$L/$seg0"; else mkfifo "$L/$seg0"; fi
  expect_status 4 timeout 60 "$EVLOG" tail "$L" --from beginning
  assert_contains "$(cat "$WORK/stderr")" "$seg0" "$kind segment named"
  expect_status 4 timeout 60 "$EVLOG" append "$L" <<<"d"
done

# META removed: appending must not recreate the log over its segments.
new_log "$L"
cp "$L/$seg0" "$WORK/seg-before"
rm "$L/META"
expect_status 4 evlog append "$L" <<<"new"
assert_contains "$(cat "$WORK/stderr")" "META" "missing META named"
assert_files_equal "$WORK/seg-before" "$L/$seg0" "segment untouched when META is missing"
# Import too calls it damage (it used to say "not an evlog log", exit 1).
echo '{"payload":"imported"}' >"$WORK/one.ndjson"
expect_status 4 evlog import "$L" "$WORK/one.ndjson"
assert_contains "$(cat "$WORK/stderr")" "META is missing" "import names the missing META"
assert_files_equal "$WORK/seg-before" "$L/$seg0" "import leaves the segment alone when META is missing"

# A HEAD put back to an older copy (what a power loss leaves, since HEAD is never synced):
# every reader sees all acknowledged events, and none writes.
new_log "$L"
rm -rf "$L"
echo a | evlog append "$L"
cp "$L/HEAD" "$WORK/old-head"
printf 'b\nc\n' | evlog append "$L"
cp "$WORK/old-head" "$L/HEAD"
before=$(cd "$L" && ls -l --time-style=+%s.%N | md5sum)
assert_eq "a b c" "$(evlog tail "$L" --from beginning | tr '\n' ' ' | sed 's/ $//')" "tail past a stale HEAD"
assert_eq "3" "$(evlog export "$L" | wc -l | tr -d ' ')" "export past a stale HEAD"
assert_contains "$(evlog stat "$L")" "0..2" "stat past a stale HEAD"
assert_files_equal "$WORK/old-head" "$L/HEAD" "readers do not rewrite HEAD"
assert_eq "$before" "$(cd "$L" && ls -l --time-style=+%s.%N | md5sum)" "readers change no file"
echo d | evlog append "$L"
assert_eq "a b c d" "$(evlog tail "$L" --from beginning | tr '\n' ' ' | sed 's/ $//')" "append after a stale HEAD"

# As a user who can read the log but not write it (an auditor with a copy): every reader
# works, and sees the acknowledged events past a stale HEAD too.
if [[ $(id -u) == 0 ]]; then
  chmod 755 "$WORK"
  R=$WORK/readonly
  echo a | evlog append "$R"
  cp "$R/HEAD" "$WORK/old-head"
  printf 'b\nc\n' | evlog append "$R"
  cp "$WORK/old-head" "$R/HEAD"
  chmod -R a+rX,go-w "$R"
  as_reader() { setpriv --reuid=65534 --regid=65534 --clear-groups "$EVLOG" "$@"; }
  assert_eq "a b c" "$(as_reader tail "$R" --from beginning | tr '\n' ' ' | sed 's/ $//')" "tail as a read-only user"
  assert_eq "3" "$(as_reader export "$R" | wc -l | tr -d ' ')" "export as a read-only user"
  as_reader verify "$R" >/dev/null 2>"$WORK/stderr" || fail "verify as a read-only user: $(cat "$WORK/stderr")"
  assert_files_equal "$WORK/old-head" "$R/HEAD" "read-only readers leave HEAD alone"
else
  echo "note: not root, the read-only user case was not run" >&2
fi

# A directory holding only META (creation interrupted): readers see an empty log and create
# nothing; the first append completes it.
new_log "$L"
rm "$L/HEAD" "$L"/*.seg "$L"/*.idx 2>/dev/null || true
assert_eq "" "$(evlog tail "$L" --from beginning)" "tail of a META-only log"
[[ ! -e $L/HEAD && ! -e $L/$seg0 ]] || fail "tail created files in a META-only log: $(ls "$L")"
echo first | evlog append "$L"
assert_eq "first" "$(evlog tail "$L")" "first append completes creation"

# HEAD missing (found by hostile_files_torture.py): a follower shows the events and waits
# for the next append, which recreates HEAD; it used to fail ("watch HEAD: No such file").
new_log "$L"
rm "$L/HEAD"
"$EVLOG" tail -f "$L" --from beginning >"$WORK/follow" &
BACKGROUND_PIDS+=($!)
wait_for_file_content "$WORK/follow" "$(printf 'a\nb\nc')" 60
echo d | evlog append "$L"
wait_for_file_content "$WORK/follow" "$(printf 'a\nb\nc\nd')" 60

# HEAD damaged and a torn tail: verify without --repair changes nothing; --repair reports
# every cut it makes.
new_log "$L"
printf 'torn-torn-torn-torn-torn' >>"$L/$seg0"
head -c 64 /dev/urandom >"$L/HEAD"
cp "$L/$seg0" "$WORK/seg-before"
status=0
evlog verify "$L" >"$WORK/out" 2>&1 || status=$?
assert_files_equal "$WORK/seg-before" "$L/$seg0" "verify without --repair changes nothing"
evlog verify "$L" --repair >"$WORK/out" 2>&1 || true
assert_contains "$(cat "$WORK/out")" "cut a torn tail" "repair reports its cut"
assert_eq "a b c" "$(evlog tail "$L" --from beginning | tr '\n' ' ' | sed 's/ $//')" "repair keeps the committed events"
# HEAD invalid and the newest segment damaged: verify still says where, `--repair --force`
# sets the segment aside, and no offset is handed out twice.
rm -rf "$L"
for e in 1 2 3 4 5; do echo "$e" | evlog append "$L"; done
printf '\xff' | dd of="$L/$seg0" bs=1 seek=140 conv=notrunc 2>/dev/null
head -c 64 /dev/urandom >"$L/HEAD"
expect_status 4 evlog verify "$L" >/dev/null
assert_contains "$(cat "$WORK/stderr")$(evlog verify "$L" 2>/dev/null || true)" "at byte 136" "verify names the damage"
evlog verify "$L" --repair --force >/dev/null
assert_eq "5" "$(echo 6 | evlog append "$L" -p)" "the next offset after a forced repair"
echo PASS
