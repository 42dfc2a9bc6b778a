# apply: c upserts, u upserts `after` (deleting the old row when the key changed), d deletes
# by key (an absent row is nothing to do), in log order, into tables the application made;
# the target keeps the position and the log's group shows it with its lag.
source "$(dirname "$0")/apply_lib.sh"

LOG=$WORK/log
DB=$WORK/target.db
sql "$DB" 'CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT, qty INTEGER, note TEXT DEFAULT "kept");
               CREATE TABLE lines (o INTEGER, n INTEGER, sku TEXT, PRIMARY KEY (o, n)) WITHOUT ROWID;
               CREATE TABLE notes (body TEXT);'
{
  insert orders '{"id":1}' '{"id":1,"item":"book","qty":1}'
  insert orders '{"id":2}' '{"id":2,"item":"pen","qty":5}'
  insert orders '{"id":1}' '{"id":1,"item":"book","qty":2}'        # c on an existing key: upsert
  update orders '{"id":2}' '{"id":2,"item":"pen","qty":5}' '{"id":2,"item":"pen","qty":6}'
  update orders '{"id":3}' '{"id":1,"item":"book","qty":2}' '{"id":3,"item":"book","qty":2}'  # key 1 -> 3
  delete orders '{"id":2}' '{"id":2,"item":"pen","qty":6}'
  delete orders '{"id":9}' '{"id":9,"item":"gone","qty":0}'       # absent: nothing to do
  insert lines '{"o":3,"n":1}' '{"o":3,"n":1,"sku":"A"}'
  insert lines '{"o":3,"n":2}' '{"o":3,"n":2,"sku":"B"}'
  update lines '{"o":3,"n":3}' '{"o":3,"n":2,"sku":"B"}' '{"o":3,"n":3,"sku":"B2"}'  # one key column changes
  insert notes '{"rowid":7}' '{"rowid":7,"body":"seven"}'           # a table keyed by its rowid
  update notes '{"rowid":7}' '{"rowid":7,"body":"seven"}' '{"rowid":7,"body":"SEVEN"}'
  insert notes '{"rowid":8}' '{"rowid":8,"body":"eight"}'
  delete notes '{"rowid":8}' '{"rowid":8,"body":"eight"}'
} | evlog append "$LOG"

expect_status 0 evlog apply "$LOG" --to "sqlite:$DB" -g replica
[[ "$(cat "$WORK/stderr")" =~ $SUMMARY_RE ]] || fail "summary: $(cat "$WORK/stderr")"
assert_contains "$(cat "$WORK/stderr")" "14 events applied in 1 transaction" "summary counts"
assert_eq "3|book|2|kept" "$(rows "$DB" 'SELECT * FROM orders ORDER BY id')" "orders"
assert_eq "$(printf '3|1|A\n3|3|B2')" "$(rows "$DB" 'SELECT * FROM lines ORDER BY o, n')" "lines"
assert_eq "7|SEVEN" "$(rows "$DB" 'SELECT rowid, body FROM notes')" "notes by rowid"
assert_eq 14 "$(position "$DB" replica)" "target position"
assert_eq "replica|$(evlog stat "$LOG" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["log_id"])')|14" \
  "$(rows "$DB" 'SELECT * FROM _evlog_apply')" "position row names the log"
assert_eq "14 0" "$(group_line "$LOG" replica)" "evlog groups: position and lag"

# Nothing new: nothing applied, nothing changed. New events: only those are applied, and
# `groups` shows the lag until then.
expect_status 0 evlog apply "$LOG" --to "sqlite:$DB" -g replica
assert_contains "$(cat "$WORK/stderr")" "0 events applied in 0 transactions" "second run"
{
  update orders '{"id":3}' '{"id":3,"item":"book","qty":2}' '{"id":3,"item":"book","qty":3}'
  insert orders '{"id":4}' '{"id":4,"item":"ink","QTY":1}'  # identifiers ignore ASCII case, as in SQL
} | evlog append "$LOG"
assert_eq "14 2" "$(group_line "$LOG" replica)" "lag before the next apply"
sql "$DB" "UPDATE orders SET note = 'mine' WHERE id = 3"
expect_status 0 evlog apply "$LOG" --to "sqlite:$DB" -g replica
assert_contains "$(cat "$WORK/stderr")" "2 events applied" "third run"
assert_eq "$(printf '3|book|3|mine\n4|ink|1|kept')" "$(rows "$DB" 'SELECT * FROM orders ORDER BY id')" \
  "an update sets the columns it carries and leaves the target's own"
assert_eq "16 0" "$(group_line "$LOG" replica)" "no lag"

# The target's position is the truth: a group moved back in the log is set to it again.
evlog groups "$LOG" -g replica --reset-to 0 --execute >/dev/null
expect_status 0 evlog apply "$LOG" --to "sqlite:$DB" -g replica
assert_contains "$(cat "$WORK/stderr")" "0 events applied" "nothing applied twice"
assert_eq "16 0" "$(group_line "$LOG" replica)" "group copy restored from the target"

# Another group feeds another database from the start.
expect_status 0 evlog apply "$LOG" --to "sqlite:$WORK/other.db" -g second --create-tables
assert_eq 16 "$(position "$WORK/other.db" second)" "second target"
# A run ends at the first batch end after 10,000 events, one transaction each (fewer with
# --batch): batches of 5,000, 5,000 and 1 make runs of 10,000 and 1.
awk 'BEGIN { for (k = 1; k <= 10001; k++)
  printf "{\"op\":\"c\",\"table\":\"big\",\"key\":{\"k\":%d},\"before\":null,\"after\":{\"k\":%d}}\n", k, k }' \
  >"$WORK/big.in"
split -l 5000 "$WORK/big.in" "$WORK/big.part."
for part in "$WORK"/big.part.*; do evlog append --atomic "$WORK/big" <"$part"; done
expect_status 0 evlog apply "$WORK/big" --to "sqlite:$WORK/big.db" -g g --create-tables
assert_contains "$(cat "$WORK/stderr")" "10001 events applied in 2 transactions" "runs of 10,000"
# A run ends only at a batch's end: two batches of three events with --batch 2 are two
# transactions (not three, one of them cutting a batch in two).
LOGB=$WORK/batches
DBB=$WORK/batches.db
for first in 1 4; do
  for id in $first $((first + 1)) $((first + 2)); do insert t "{\"id\":$id}" "{\"id\":$id,\"v\":\"v$id\"}"; done |
    evlog append --atomic "$LOGB"
done
evlog apply "$LOGB" --to "sqlite:$DBB" -g g --create-tables --batch 2 2>"$WORK/stderr" ||
  fail "apply --batch 2: $(cat "$WORK/stderr")"
assert_contains "$(cat "$WORK/stderr")" "6 events applied in 2 transactions" "runs end at batch ends"
echo PASS
