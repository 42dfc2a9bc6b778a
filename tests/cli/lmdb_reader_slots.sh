# Issue 9, torture test 7: consumers killed inside LMDB read transactions, again and again,
# never exhaust the group store's reader slots (254 of them): every opener clears the slots
# of dead processes (mdb_reader_check), and a transaction that finds the table full clears
# them and retries. 300 kills, then groups, ack, tail -g and replay -g still work. The killed
# commands are writers (ack, groups --reset-to --execute), whose opening of the store begins
# a read transaction: commands that only read the groups take no reader slot (format-spec §11.3).
source "$(dirname "$0")/lib.sh"
SHIM=${EVLOG_KILL_IN_READ_TXN_SHIM:?set by ctest: the kill_in_read_txn shim}
LOG=$WORK/log
seq 1 10 | evlog append "$LOG"
evlog ack "$LOG" -g g 2

# LMDB clears the whole reader table when a process opens the store alone: a consumer that
# keeps it open throughout is what lets dead slots pile up, as in a real deployment.
"$EVLOG" replay "$LOG" -g holder -f -- true 2>/dev/null &
holder=$!
BACKGROUND_PIDS+=("$holder")
holder_done() { [[ "$(evlog groups "$LOG" --json)" == *'"group":"holder","position":10'* ]]; }
wait_until 30 "the holder's first events" holder_done

kills=${EVLOG_READER_SLOT_KILLS:-300}
killed=0
for ((i = 0; i < kills; i++)); do
  status=0
  case $((i % 3)) in
    0) EVLOG_KILL_IN_READ_TXN=1 LD_PRELOAD=$SHIM ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
         "$EVLOG" ack "$LOG" -g g 1 >/dev/null 2>&1 || status=$? ;;
    1) EVLOG_KILL_IN_READ_TXN=1 LD_PRELOAD=$SHIM ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
         "$EVLOG" groups "$LOG" -g g --reset-to 3 --execute >/dev/null 2>&1 || status=$? ;;
    2) EVLOG_KILL_IN_READ_TXN=1 LD_PRELOAD=$SHIM ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
         "$EVLOG" ack "$LOG" -g holder 0 >/dev/null 2>&1 || status=$? ;;
  esac
  ((status == 137)) && killed=$((killed + 1))
done
# Every run must have died inside its read transaction, or the test proves nothing.
assert_eq "$kills" "$killed" "processes killed inside a read transaction"

kill -0 "$holder" || fail "the consumer holding the store open died"
assert_eq "g 3 7" "$(evlog groups "$LOG" | awk '$1 == "g" {print $1, $2, $3}')" "groups after the kills"
evlog ack "$LOG" -g g 5
assert_eq "7 8 9 10" "$(evlog tail "$LOG" -g g | tr '\n' ' ' | sed 's/ $//')" "tail -g after the kills"
evlog replay "$LOG" -g r -- true 2>/dev/null
assert_eq 10 "$(evlog groups "$LOG" --json | sed -n 's/.*"group":"r","position":\([0-9]*\).*/\1/p')" "replay -g after the kills"
echo PASS
