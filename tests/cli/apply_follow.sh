# apply -f: applies what is there, then follows new events within moments; SIGTERM (or
# SIGINT) ends it cleanly, with everything read committed, exit status 128 + N. While another
# connection holds the target's write lock, apply waits and says so; if that connection
# moved the group's position meanwhile, a second apply is feeding the target: refused.
# SIGTERM during that wait ends apply as a signal does.
source "$(dirname "$0")/apply_lib.sh"

LOG=$WORK/log
DB=$WORK/target.db
insert t '{"k":1}' '{"k":1,"v":"one"}' | evlog append "$LOG"

# wait_for_rows DB SQL EXPECTED SECONDS
wait_for_rows() {
  local i
  for ((i = 0; i < $4 * 20; i++)); do
    [[ "$(rows "$1" "$2" 2>/dev/null)" == "$3" ]] && return 0
    sleep 0.05
  done
  fail "[$2] did not return [$3] within $4 s: [$(rows "$1" "$2" 2>&1)]"
}

"$EVLOG" apply "$LOG" --to "sqlite:$DB" -g g -f --create-tables 2>"$WORK/follow.err" &
pid=$!
BACKGROUND_PIDS+=($pid)
wait_for_rows "$DB" 'SELECT v FROM t' one 30
insert t '{"k":2}' '{"k":2,"v":"two"}' | evlog append "$LOG"
wait_for_rows "$DB" 'SELECT group_concat(v) FROM t' one,two 30
# The group's copy is set right after the target's commit, with a sync of its own: the
# rows may be visible a moment before it is.
group_copy_follows() { [[ "$(group_line "$LOG" g)" == "2 0" ]]; }
wait_until 30 "the group's copy following" group_copy_follows
kill -TERM $pid
status=0
wait $pid || status=$?
assert_eq 143 "$status" "exit status after SIGTERM"
[[ "$(cat "$WORK/follow.err")" =~ $SUMMARY_RE ]] || fail "summary: $(cat "$WORK/follow.err")"
assert_contains "$(cat "$WORK/follow.err")" "2 events applied in 2 transactions" "summary after SIGTERM"
assert_eq 2 "$(position "$DB" g)" "position after SIGTERM"

# A writer holds the target's lock and moves the position back meanwhile, as a second
# apply of the group would: apply waits, says so after a second, then refuses. The writer
# commits only once apply has said it waits, however long apply took to get there.
insert t '{"k":3}' '{"k":3,"v":"three"}' | evlog append "$LOG"
mkfifo "$WORK/sql"
sql "$DB" <"$WORK/sql" >"$WORK/sql.out" &
BACKGROUND_PIDS+=($!)
exec 3>"$WORK/sql"
echo "BEGIN IMMEDIATE; UPDATE _evlog_apply SET next_offset = 1; SELECT 'locked';" >&3
wait_for_file_content "$WORK/sql.out" locked 30
"$EVLOG" apply "$LOG" --to "sqlite:$DB" -g g 2>"$WORK/second.err" &
pid=$!
BACKGROUND_PIDS+=($pid)
second_waits() { grep -q "another connection holds its lock" "$WORK/second.err"; }
wait_until 60 "the second apply noting the lock wait" second_waits
echo "COMMIT;" >&3
exec 3>&-
status=0
wait $pid || status=$?
assert_eq 1 "$status" "exit status of an apply whose group moved meanwhile"
assert_contains "$(cat "$WORK/second.err")" "waiting for $DB: another connection holds its lock" "lock wait note"
assert_contains "$(cat "$WORK/second.err")" "the position of group g moved from 2 to 1 while this apply ran" "second apply"
assert_eq "one,two" "$(rows "$DB" 'SELECT group_concat(v) FROM t')" "nothing applied"

# SIGTERM while apply waits for the target's lock ends it like any signal (128 + 15), with
# nothing applied.
mkfifo "$WORK/sql2"
sql "$DB" <"$WORK/sql2" >"$WORK/sql2.out" &
BACKGROUND_PIDS+=($!)
exec 3>"$WORK/sql2"
echo "BEGIN IMMEDIATE; SELECT 'locked';" >&3
wait_for_file_content "$WORK/sql2.out" locked 30
"$EVLOG" apply "$LOG" --to "sqlite:$DB" -g g 2>"$WORK/term.err" &
pid=$!
BACKGROUND_PIDS+=($pid)
lock_wait_noted() { grep -q "another connection holds its lock" "$WORK/term.err"; }
wait_until 30 "apply noting the lock wait" lock_wait_noted
kill -TERM $pid
status=0
wait $pid || status=$?
exec 3>&-
assert_eq 143 "$status" "exit status after SIGTERM during the lock wait"
assert_contains "$(cat "$WORK/term.err")" "waiting for $DB: another connection holds its lock" "lock wait note before SIGTERM"
assert_contains "$(cat "$WORK/term.err")" "stopped by signal 15; the run in progress was rolled back" "what SIGTERM stopped"
assert_eq "one,two" "$(rows "$DB" 'SELECT group_concat(v) FROM t')" "nothing applied after SIGTERM"
assert_eq 1 "$(position "$DB" g)" "position after SIGTERM during the lock wait"
echo PASS
