# import's temporary directory LOG.import-XXXXXX: created with the mode mkdir would give,
# removed when the import is stopped by SIGTERM (even while blocked reading its input), and,
# after a SIGKILL, removed by the next import unless a live importer holds it (issue 7,
# item 19).
source "$(dirname "$0")/lib.sh"

printf 'a\nb\n' | evlog append "$WORK/src"
evlog export "$WORK/src" --format archive -o "$WORK/src.evlog"

(umask 027 && evlog import "$WORK/masked" "$WORK/src.evlog")
assert_eq 750 "$(stat -c %a "$WORK/masked")" "mode of an imported log under umask 027"

# start_stalled_import LOG: an import blocked reading a FIFO after its first event. Returns
# once a new temporary directory appeared (one left by an earlier importer does not count).
start_stalled_import() {
  local before
  before=$(compgen -G "$1.import-*" | wc -l || true)
  rm -f "$WORK/fifo" && mkfifo "$WORK/fifo"
  "$EVLOG" import "$1" "$WORK/fifo" 2>"$WORK/stalled.err" &
  STALLED=$!
  BACKGROUND_PIDS+=("$STALLED")
  exec 7>"$WORK/fifo"
  printf '{"payload":"x"}\n' >&7
  for _ in $(seq 200); do
    (($( (compgen -G "$1.import-*" || true) | wc -l) > before)) && return 0
    sleep 0.05
  done
  fail "no temporary directory appeared for $1"
}

start_stalled_import "$WORK/termed"
kill -TERM "$STALLED"
status=0 && wait "$STALLED" || status=$?
exec 7>&-
assert_eq 143 "$status" "exit status of an import stopped by SIGTERM"
assert_contains "$(cat "$WORK/stalled.err")" "interrupted by signal 15" "message of an import stopped by SIGTERM"
compgen -G "$WORK/termed*" >/dev/null && fail "SIGTERM left $(compgen -G "$WORK/termed*")"

# A SIGTERM at any moment of an import stalled on its input ends it, whether the import is
# blocked reading or busy elsewhere (opening the log, writing the first event) when it lands:
# a signal received just before the read must not be slept through. The input is opened
# read-write here first, so that neither side waits for the other to open the FIFO.
for round in $(seq 0 39); do
  rm -f "$WORK/fifo" && mkfifo "$WORK/fifo"
  exec 8<>"$WORK/fifo"
  "$EVLOG" import "$WORK/raced" "$WORK/fifo" 2>/dev/null &
  pid=$!
  printf '{"payload":"x"}\n' >&8
  # Not before the child is evlog: a signal to bash's own child between fork and exec can
  # make it run this script's EXIT trap, which removes $WORK.
  for _ in $(seq 1000); do [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == evlog ]] && break; sleep 0.001; done
  sleep "$(printf 0.%03d "$round")"
  kill -TERM "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    fail "round $round: an import still ran 5 s after its SIGTERM, $round ms after its start"
  fi
  status=0 && wait "$pid" || status=$?
  exec 8>&-
  assert_eq 143 "$status" "round $round: exit status of an import stopped by SIGTERM"
  compgen -G "$WORK/raced*" >/dev/null && fail "round $round: SIGTERM left $(compgen -G "$WORK/raced*")"
done

start_stalled_import "$WORK/killed"
kill -KILL "$STALLED"
{ wait "$STALLED"; } 2>/dev/null || true
exec 7>&-
dead=$(compgen -G "$WORK/killed.import-*")
start_stalled_import "$WORK/killed"  # a live importer's directory, which must survive
live=$(compgen -G "$WORK/killed.import-*" | grep -v "$dead")
touch -d '1 minute ago' "$dead" "$live"
evlog import "$WORK/killed" "$WORK/src.evlog" 2>"$WORK/stderr"
assert_contains "$(cat "$WORK/stderr")" "note: removed $dead, left by an import that was killed" "note on the leftover"
[[ ! -e $dead ]] || fail "the dead importer's $dead was not removed"
[[ -d $live ]] || fail "the live importer's $live was removed"
kill -TERM "$STALLED"
wait "$STALLED" || true
exec 7>&-
echo PASS
