# Helpers shared by the apply_*.sh tests, on top of lib.sh: change envelopes written by hand
# (format-spec/change-events.md §C3), one per line, so `evlog append` makes each one event.
source "$(dirname "$0")/lib.sh"

OUTBOX_ID=0
# envelope OP TABLE KEY BEFORE AFTER: one envelope line on stdout; KEY, BEFORE and AFTER are
# JSON (objects, or null).
envelope() {
  OUTBOX_ID=$((OUTBOX_ID + 1))
  printf '{"op":"%s","table":"%s","key":%s,"before":%s,"after":%s,"ts_ms":1764590000123,"source":{"connector":"sqlite","source_id":"6f1c00000000000000000000000000aa","outbox_id":%d}}\n' \
    "$1" "$2" "$3" "$4" "$5" "$OUTBOX_ID"
}
insert() { envelope c "$1" "$2" null "$3"; }      # insert TABLE KEY AFTER
update() { envelope u "$1" "$2" "$3" "$4"; }      # update TABLE KEY BEFORE AFTER
delete() { envelope d "$1" "$2" "$3" null; }      # delete TABLE KEY BEFORE

# sql DB [SQL]: the sqlite3 shell, waiting up to 10 s for a lock. Without a busy timeout the
# shell gives up at once when `evlog apply` holds even a brief shared lock on the target: a
# COMMIT of the test's then fails ("database is locked") and the test measures a race, not
# apply. Every sqlite3 shell of the apply tests goes through here for that reason.
sql() { sqlite3 -cmd ".timeout 10000" "$@"; }

# rows DB SQL: the query's rows, `|`-separated, one line each.
rows() { sql "$1" "$2"; }

# position DB GROUP: the group's next offset in the target's _evlog_apply.
position() { sql "$1" "SELECT next_offset FROM _evlog_apply WHERE grp = '$2'"; }

# group_line LOG GROUP: "POSITION LAG" as `evlog groups` shows them.
group_line() { evlog groups "$1" | awk -v g="$2" '$1 == g {print $2, $3}'; }

# The summary apply prints on stderr when it ends.
SUMMARY_RE='evlog: apply: [0-9]+ events? applied in [0-9]+ transactions? in [0-9]+\.[0-9]{2}s; group [^ ]+ is at offset [0-9]+'
