# A log is created only in a missing or empty directory (issue 11): an existing directory of
# other files (a typo such as `.`, or /etc/ssl) is refused with exit 1, by every command that
# creates logs, and nothing at all is written into it, not even LOCK.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/capture_lib.sh"

D=$WORK/not-a-log
mkdir -p "$D/sub"
echo keep >"$D/foo"
listing() { (cd "$1" && find . -printf '%p %s %y\n' | sort); }
before=$(listing "$D")
refused() {  # refused WHAT: the last command's message and an untouched directory
  assert_eq "$before" "$(listing "$D")" "$1: nothing written into the directory"
  assert_contains "$(cat "$WORK/stderr")" \
    "$D exists and is not an evlog log (it holds 2 entries, e.g. 'foo'); nothing was written into it. Create logs in a new or empty directory" \
    "$1: message"
}

expect_status 1 evlog append "$D" <<<"hi"
refused append
expect_status 1 evlog append --json "$D" <<<'{"payload":"hi"}'
refused "append --json"
# The typo from the issue: `.` as the log.
(cd "$D" && expect_status 1 "$EVLOG" append . <<<"hi")
assert_contains "$(cat "$WORK/stderr")" ". exists and is not an evlog log (it holds 2 entries, e.g. 'foo')" ". message"
assert_eq "$before" "$(listing "$D")" ". : nothing written into the directory"

echo '{"payload":"hi"}' >"$WORK/one.ndjson"
expect_status 1 evlog import "$D" "$WORK/one.ndjson"
refused import

DB=$WORK/app.db
app "$DB" "CREATE TABLE t (id INTEGER PRIMARY KEY, v)"
evlog capture sqlite "$DB" --install -t t 2>/dev/null
app "$DB" "INSERT INTO t VALUES (1, 'x')"
expect_status 1 evlog capture sqlite "$DB" "$D"
refused capture

# What may still become a log: a missing directory, an empty one, and one holding only what
# a creation interrupted before META leaves (LOCK, temporary files); recovery completes it.
echo a | evlog append "$WORK/missing"
mkdir "$WORK/empty"
echo a | evlog append "$WORK/empty"
mkdir "$WORK/interrupted"
touch "$WORK/interrupted/LOCK" "$WORK/interrupted/META.tmp"
echo a | evlog append "$WORK/interrupted"
for log in missing empty interrupted; do
  assert_eq a "$(evlog tail "$WORK/$log" --from beginning)" "a log created in a $log directory"
done
[[ ! -e $WORK/interrupted/META.tmp ]] || fail "the interrupted creation's temporary file is left"

# Parents are not created (as sqlite3, unlike mkdir -p): the error says which one is missing
# and how to create it, and nothing is left behind.
out=$(echo a | evlog append "$WORK/no/such/log" 2>&1) && fail "a log was created under a missing parent"
assert_contains "$out" "its parent directory $WORK/no/such does not exist" "missing parent"
assert_contains "$out" "mkdir -p $WORK/no/such" "missing parent: what to do"
[[ ! -e $WORK/no ]] || fail "a directory was left by the refused creation"
echo PASS
