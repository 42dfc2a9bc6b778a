# Every subcommand's main paths once, with LeakSanitizer and ASan's global checks on.
# The other CLI tests turn both off under the sanitizers (lib.sh: they cost about 0.15 s of
# every process start and exit, and those tests start thousands of processes); this test is
# where a leak or a global overflow in a subcommand shows up, as a nonzero exit status. In
# the optimised build it is a smoke test of the same paths.
source "$(dirname "$0")/lib.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1:report_globals=1"

LOG=$WORK/log
seq 1 50 | evlog append "$LOG" -H origin=leaks -p >/dev/null
printf 'k1\tv1\nk2\tv2\nk1\t\n' | evlog append "$LOG" -K $'\t' --atomic
evlog tail "$LOG" -n 3 --json | evlog append "$LOG" --json
printf 'whole' | evlog append "$LOG" --raw --expect-next 56
evlog tail "$LOG" --from beginning --format '%o %k %s %h\n' >/dev/null
evlog tail "$LOG" --since -1h --json >/dev/null
evlog tail "$LOG" -g readers --format '%o\n' | head -20 | evlog ack "$LOG" -g readers
evlog groups "$LOG" >/dev/null
evlog groups "$LOG" --json >/dev/null
evlog groups "$LOG" -g readers --reset-to 5 --execute >/dev/null
evlog replay "$LOG" -g replayers --batch 7 -- sh -c 'cat >/dev/null'
expect_status 5 evlog replay "$LOG" -g failing --max-attempts 2 --backoff 1ms -- false
evlog replay "$LOG" -g dead --max-attempts 1 --backoff 1ms --dead-letter "$WORK/dead" -- sh -c 'exit 3' 2>/dev/null
evlog stat "$LOG" >/dev/null
evlog stat "$LOG" --json >/dev/null
evlog ls "$WORK" >/dev/null
evlog ls "$WORK" --json >/dev/null
evlog help tail >/dev/null
expect_status 2 evlog tial "$LOG"
expect_status 2 evlog -q tail --folow "$LOG"
mkdir "$WORK/not-a-log" && touch "$WORK/not-a-log/file"
expect_status 1 evlog tail -f --wait "$WORK/not-a-log"
evlog verify "$LOG" >/dev/null
evlog verify --repair "$LOG" >/dev/null
evlog export "$LOG" --format archive -o "$WORK/archive" 2>/dev/null
evlog import "$WORK/copy" "$WORK/archive" 2>/dev/null
evlog export "$LOG" >"$WORK/lines"
expect_status 0 evlog export "$LOG" --salvage >/dev/null
evlog import "$WORK/copy2" --preserve-offsets <"$WORK/lines" 2>/dev/null
evlog compact "$LOG" --keep-latest-per-key --tombstone-retention 0s >/dev/null
evlog compact "$LOG" --before 10 --ignore-groups >/dev/null
evlog compact "$LOG" --retain-bytes 1 --dry-run >/dev/null
assert_eq "$(evlog tail "$WORK/copy" --from beginning --json)" "$(evlog tail "$WORK/copy2" --from beginning --json)" \
  "the two imports"

# Errors are paths too: a usage error, a missing log, a corrupt archive.
expect_status 2 evlog tail
expect_status 1 evlog tail "$WORK/missing"
head -c 100 "$WORK/archive" >"$WORK/short-archive"
expect_status 1 evlog import "$WORK/copy3" "$WORK/short-archive"  # rejected input (evlog-import(1))

# The connectors.
if command -v sqlite3 >/dev/null; then
  sqlite3 "$WORK/app.db" "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v)" >/dev/null
  evlog capture sqlite "$WORK/app.db" --install -t t 2>/dev/null
  sqlite3 "$WORK/app.db" "INSERT INTO t VALUES (1, 'one'), (2, x'00ff'), (3, 2.5)"
  evlog capture sqlite "$WORK/app.db" "$WORK/changes" 2>/dev/null
  evlog apply "$WORK/changes" --to "sqlite:$WORK/replica.db" -g replica --create-tables 2>/dev/null
  assert_eq 3 "$(sqlite3 "$WORK/replica.db" 'SELECT count(*) FROM t')" "rows applied"
  evlog capture sqlite "$WORK/app.db" --uninstall 2>/dev/null
else
  fail "sqlite3 (the CLI) is needed: apt-get install sqlite3"
fi
echo PASS
