# `tail -f --wait LOG` (issue 11): a log that does not exist yet is waited for, then
# followed from its first event; without --wait a missing log stays an error; a directory
# that cannot become a log is an error at once; SIGINT/SIGTERM end the wait quietly.
source "$(dirname "$0")/lib.sh"

# Without --wait, as before: a missing log is exit 1.
expect_status 1 evlog tail -f "$WORK/missing"
assert_contains "$(cat "$WORK/stderr")" "no such log" "missing log without --wait"
# --wait is for -f.
expect_status 2 evlog tail --wait "$WORK/missing"
assert_contains "$(cat "$WORK/stderr")" "--wait requires --follow" "--wait without -f"

# The follower has entered the wait once it holds its inotify descriptor.
waiting() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'anon_inode:inotify'; }

# The parent exists: the log appears there, with 12 events (made elsewhere and renamed into
# place, so that the follower finds them all at once), all of which are printed: a new log
# is followed from its first event, not its last 10.
"$EVLOG" tail -f --wait "$WORK/new" >"$WORK/followed" 2>"$WORK/follower.err" &
follower=$!
BACKGROUND_PIDS+=($follower)
wait_until 60 "the follower waits" waiting $follower
[[ ! -e $WORK/new ]] || fail "the waiting follower created the log"
seq 1 12 | evlog append "$WORK/staging"
mv "$WORK/staging" "$WORK/new"
wait_for_file_content "$WORK/followed" "$(seq 1 12)" 30
echo 13 | evlog append "$WORK/new"
wait_for_file_content "$WORK/followed" "$(seq 1 13)" 30
kill -TERM $follower
status=0
wait $follower || status=$?
assert_eq 143 "$status" "a follower ends by SIGTERM as before"
assert_eq "" "$(cat "$WORK/follower.err")" "nothing on stderr"

# Neither the log nor its parent exists yet: found by polling, and the given start is kept.
"$EVLOG" tail -f --wait -n 1 "$WORK/a/b/log" >"$WORK/followed2" &
follower=$!
BACKGROUND_PIDS+=($follower)
wait_until 60 "the follower waits" waiting $follower
mkdir -p "$WORK/a/b"
printf 'x\ny\n' | evlog append "$WORK/staging"
mv "$WORK/staging" "$WORK/a/b/log"
wait_for_file_content "$WORK/followed2" "y" 30
kill -TERM $follower
wait $follower || true

# An empty directory may still become a log (creation in progress); it is waited for too.
mkdir "$WORK/empty"
"$EVLOG" tail -f --wait "$WORK/empty" >"$WORK/followed3" &
follower=$!
BACKGROUND_PIDS+=($follower)
wait_until 60 "the follower waits" waiting $follower
echo z | evlog append "$WORK/empty"
wait_for_file_content "$WORK/followed3" "z" 30
kill -TERM $follower
wait $follower || true

# A directory holding other files is not a log and never will be: an error at once.
mkdir "$WORK/other" && echo x >"$WORK/other/file"
expect_status 1 evlog tail -f --wait "$WORK/other"
assert_contains "$(cat "$WORK/stderr")" "$WORK/other" "the error names the directory"

# SIGINT and SIGTERM end the wait: the process dies of the signal, silently, creating nothing.
for signal in INT TERM; do
  "$EVLOG" tail -f --wait "$WORK/never" 2>"$WORK/waiter.err" &
  waiter=$!
  BACKGROUND_PIDS+=($waiter)
  wait_until 60 "the waiter waits" waiting $waiter
  kill -$signal $waiter
  status=0
  wait $waiter || status=$?
  expected=$((128 + $(kill -l $signal)))
  assert_eq "$expected" "$status" "SIG$signal ends the wait"
  assert_eq "" "$(cat "$WORK/waiter.err")" "SIG$signal: nothing on stderr"
  [[ ! -e $WORK/never ]] || fail "the waiter created the log"
done
echo "ok"
