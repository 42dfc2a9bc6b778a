# `evlog ls [DIR]` (issue 11): the logs under DIR, sorted by name, with events, size, last
# event time and groups; --depth bounds the search; a damaged log is a row with its error
# (exit 4), a directory that is not a log is skipped, one that cannot be read is reported
# (exit 1); nothing is written, and read-only logs are listed.
source "$(dirname "$0")/lib.sh"
EVLOG=$(realpath "$EVLOG")  # some checks run in another directory

ROOT=$WORK/root
mkdir -p "$ROOT/notes" "$ROOT/deep/x" "$ROOT/team"
echo "not a log" >"$ROOT/notes/readme.txt"
printf 'a\nb\nc\n' | evlog append "$ROOT/orders"
evlog ack -g billing "$ROOT/orders" 0   # lag 2
evlog ack -g search "$ROOT/orders" 2    # lag 0
evlog append "$ROOT/team/audit" </dev/null  # an empty log, one level down
echo z | evlog append "$ROOT/deep/x/far"  # three levels down: beyond the default depth
echo h | evlog append "$ROOT/.hidden"        # names starting with '.' are skipped
ln -s "$ROOT/orders" "$ROOT/linked"          # a link to a log is listed
ln -s "$ROOT" "$ROOT/deep/loop"              # a link loop is not followed

# What the tree looks like, to the nanosecond: ls must not change a byte, a time or a name.
# LMDB's lock file (groups/lock.mdb) is left out while ls may write: a reader with write
# access takes a reader slot there, as stat does; the read-only part below checks it too.
snapshot() {
  local filter=(! -name lock.mdb)
  [[ -z ${SNAPSHOT_ALL:-} ]] || filter=()
  (cd "$ROOT" && find . "${filter[@]}" -printf '%p %s %T@ %m\n' | sort &&
    find . -type f "${filter[@]}" -exec sha1sum {} + | sort)
}
snapshot >"$WORK/before"

out=$(evlog ls "$ROOT") || fail "ls: exit $?"
header=$(sed -n 1p <<<"$out")
assert_eq "LOG" "$(awk '{print $1}' <<<"$header")" "header"
assert_contains "$header" "EVENTS  SIZE" "header columns"
assert_contains "$header" "LAST EVENT" "header columns"
[[ $header != *ERROR* ]] || fail "no ERROR column without a damaged log: $header"
# Sorted by name; depth 2 reaches team/audit but not deep/x/far; .hidden skipped.
assert_eq "$(printf 'linked\norders\nteam/audit')" "$(sed 1d <<<"$out" | awk '{print $1}')" "names"
orders=$(grep '^orders ' <<<"$out")
assert_eq "3" "$(awk '{print $2}' <<<"$orders")" "orders: events"
bytes=$(evlog stat --json "$ROOT/orders" | python3 -c 'import json, sys; print(json.load(sys.stdin)["bytes_on_disk"])')
assert_eq "$bytes bytes" "$(awk '{print $3, $4}' <<<"$orders")" "orders: size as stat counts it"
assert_contains "$orders" "2 (max lag 2)" "orders: groups and max lag"
[[ $(awk '{print $5}' <<<"$orders") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
  fail "orders: last event time to the second: $orders"
audit=$(grep '^team/audit ' <<<"$out")
assert_eq "0 - -" "$(awk '{print $2, $5, $6}' <<<"$audit")" "empty log: no events, no time, no groups"

# --depth: 0 looks at DIR alone, 3 reaches deep/x/far.
assert_eq "" "$(evlog ls "$ROOT" --depth 0)" "--depth 0 on a directory that is not a log"
assert_eq "$(printf 'linked\norders')" "$(evlog ls "$ROOT" --depth 1 | sed 1d | awk '{print $1}')" "--depth 1"
assert_contains "$(evlog ls "$ROOT" --depth 3)" "deep/x/far" "--depth 3"
# DIR defaults to the current directory; DIR may be a log itself.
assert_eq "$out" "$(cd "$ROOT" && evlog ls)" "ls without DIR lists ."
assert_eq "$ROOT/orders" "$(evlog ls "$ROOT/orders" | sed 1d | awk '{print $1}')" "DIR is a log"

# --json: one object per log, the same order; figures exact.
json=$(evlog ls --json "$ROOT")
assert_eq 3 "$(wc -l <<<"$json" | tr -d ' ')" "--json: one line per log"
python3 - "$json" <<'PY' || fail "--json content"
import json, sys
logs = [json.loads(line) for line in sys.argv[1].splitlines()]
assert [l["log"] for l in logs] == ["linked", "orders", "team/audit"], logs
o = logs[1]
assert (o["events"], o["next_offset"], o["groups"], o["max_lag"], o["error"]) == (3, 3, 2, 2, None), o
assert o["bytes_on_disk"] > 0 and o["last_timestamp"].endswith("Z"), o
a = logs[2]
assert (a["events"], a["last_timestamp"], a["groups"], a["max_lag"]) == (0, None, 0, None), a
PY

# Nothing was written by any of the above.
snapshot >"$WORK/after"
assert_files_equal "$WORK/before" "$WORK/after" "ls writes nothing"

# A damaged log (META lost while its segment remains) is a row with its error: exit 4.
mkdir "$ROOT/broken"
cp "$ROOT/orders"/*.seg "$ROOT/broken/"
snapshot >"$WORK/before"
expect_status 4 evlog ls "$ROOT" --depth 1 >/dev/null
out=$(evlog ls "$ROOT" --depth 1 2>&1 || true)
assert_contains "$(sed -n 1p <<<"$out")" "ERROR" "ERROR column"
assert_contains "$(grep '^broken ' <<<"$out")" "META is missing" "the damaged log's row"
assert_eq "$(printf 'broken\nlinked\norders')" "$(sed 1d <<<"$out" | awk '{print $1}')" "the other logs are still listed"
assert_contains "$(evlog ls --json "$ROOT" --depth 1 || true)" '{"log":"broken","events":null' "--json: damaged log"
snapshot >"$WORK/after"
assert_files_equal "$WORK/before" "$WORK/after" "ls writes nothing into a damaged log"
rm -r "$ROOT/broken"


# A user who may only read: read-only logs are listed; a directory they cannot search is
# reported (exit 1) and the rest still listed. As root, that user is `nobody`.
if [[ $EUID == 0 ]]; then
  as_reader() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$EVLOG" "$@"; }
  chmod 711 "$WORK"
else
  as_reader() { "$EVLOG" "$@"; }
fi
chmod -R a+rX,a-w "$ROOT"
chmod u+w "$ROOT" && mkdir -m 700 "$ROOT/secret" && chmod a-w "$ROOT"
SNAPSHOT_ALL=1 snapshot >"$WORK/before"
out=$(as_reader ls "$ROOT" 2>"$WORK/stderr") && fail "ls with an unreadable directory: exit 0"
SNAPSHOT_ALL=1 snapshot >"$WORK/after"
assert_files_equal "$WORK/before" "$WORK/after" "ls by a reader writes nothing, LMDB's lock file included"
assert_contains "$(cat "$WORK/stderr")" "cannot read $ROOT/secret: Permission denied" "permission error noted"
assert_eq "$(printf 'linked\norders\nteam/audit')" "$(sed 1d <<<"$out" | awk '{print $1}')" "read-only logs listed"
expect_status 1 as_reader ls "$ROOT" >/dev/null

# DIR missing or not a directory: exit 1.
expect_status 1 evlog ls "$WORK/missing"
assert_contains "$(cat "$WORK/stderr")" "No such file or directory" "missing DIR"
expect_status 1 evlog ls "$ROOT/notes/readme.txt"
assert_contains "$(cat "$WORK/stderr")" "not a directory" "DIR is a file"
chmod -R u+w "$ROOT"
echo "ok"
