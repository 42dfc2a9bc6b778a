# tail and export --key/--header/--grep: each filter, globs, combinations with ranges, -n,
# -c and -f, binary payloads, refused patterns, and a hostile payload for the regex.
source "$(dirname "$0")/lib.sh"

LOG=$WORK/log
# offset key       headers             payload
# 0      user-1    type=order          order 17
# 1      user-2    type=refund         refund 3
# 2      user-10   type=order,r=eu     order 99
# 3      (none)    -                   no key
# 4      admin     r=us                login
# 5      user-1    type=order          order 18
{
  echo '{"key":"user-1","headers":{"type":"order"},"payload":"order 17"}'
  echo '{"key":"user-2","headers":{"type":"refund"},"payload":"refund 3"}'
  echo '{"key":"user-10","headers":{"type":"order","r":"eu"},"payload":"order 99"}'
  echo '{"payload":"no key"}'
  echo '{"key":"admin","headers":{"r":"us"},"payload":"login"}'
  echo '{"key":"user-1","headers":{"type":"order"},"payload":"order 18"}'
} | evlog append --json "$LOG"
offsets() { evlog tail "$LOG" --format '%o ' "$@" | sed 's/ $//'; }

# --key: exact bytes, repeatable (any), globs.
assert_eq "0 5" "$(offsets --from beginning --key user-1)" "--key exact"
assert_eq "" "$(offsets --from beginning --key user)" "--key without glob characters is not a prefix"
assert_eq "0 1 4 5" "$(offsets --from beginning --key user-1 --key admin --key user-2)" "--key repeated: any"
assert_eq "0 1 2 5" "$(offsets --from beginning --key 'user-*')" "--key glob *"
assert_eq "0 1 5" "$(offsets --from beginning --key 'user-?')" "--key glob ?"
assert_eq "1 2" "$(offsets --from beginning --key 'user-[!1]*' --key 'user-1[0-9]')" "--key glob classes"
assert_eq "0 1 2 4 5" "$(offsets --from beginning --key '*')" "--key '*' skips events without a key"

# --header: NAME=VALUE exact, all must hold; NAME alone: present.
assert_eq "0 2 5" "$(offsets --from beginning --header type=order)" "--header"
assert_eq "2" "$(offsets --from beginning --header type=order --header r=eu)" "--header repeated: all"
assert_eq "2 4" "$(offsets --from beginning --header r)" "--header NAME: present"
assert_eq "" "$(offsets --from beginning --header type=ord)" "--header value is exact"

# --grep: a regex over the payload.
assert_eq "0 2 5" "$(offsets --from beginning --grep '^order [0-9]+$')" "--grep"
assert_eq "0 5" "$(offsets --from beginning --grep '1[78]' --key 'user-*')" "--grep with --key"

# Ranges and counts: -c and -n count matching events.
assert_eq "2 5" "$(offsets --from 1 --key 'user-*' --header type=order)" "--from with filters"
assert_eq "0 2" "$(offsets --from beginning --to 4 --header type=order)" "--to with filters"
assert_eq "0 2" "$(offsets --from beginning -c 2 --header type=order)" "-c counts matches"
assert_eq "2 5" "$(offsets -n 2 --header type=order)" "-n counts matches"
assert_eq "0 2 5" "$(offsets --key 'user-*' --grep order)" "the default -n 10 counts matches"
assert_eq "0 2" "$(offsets -n 2 --to 3 --header type=order)" "-n within --to"
assert_eq "order 17" "$(evlog tail "$LOG" --since -1h --until now --key user-1 -c 1)" "--since/--until with filters"
assert_eq "2" "$(offsets --from beginning --key 'user-1*' --grep 99)" "combined"

# export ndjson filters the same way; an archive refuses filters.
evlog export "$LOG" --key 'user-1*' --header type=order >"$WORK/export.json"
assert_eq "0 2 5" "$(sed 's/.*"offset":\([0-9]*\).*/\1/' "$WORK/export.json" | tr '\n' ' ' | sed 's/ $//')" "export --key --header"
assert_eq "1" "$(evlog export "$LOG" --from 1 --grep refund | wc -l)" "export --grep with --from"
expect_status 2 evlog export "$LOG" --format archive --key user-1 -o "$WORK/a.evlog"
assert_contains "$(cat "$WORK/stderr")" "--format ndjson only" "archive with a filter"
[[ ! -e "$WORK/a.evlog" ]] || fail "a refused archive export wrote a file"

# Invalid patterns: usage errors naming the pattern and what is wrong.
expect_status 2 evlog tail "$LOG" --key 'user-[0-9'
assert_contains "$(cat "$WORK/stderr")" "'user-[0-9' is not a valid glob: the '[' at byte 5 is not closed" "bad glob"
expect_status 2 evlog tail "$LOG" --grep 'order (1'
assert_contains "$(cat "$WORK/stderr")" "'order (1' is not a valid regex: missing closing parenthesis" "bad regex"
expect_status 2 evlog export "$LOG" --grep '*x'
assert_contains "$(cat "$WORK/stderr")" "'*x' is not a valid regex" "bad regex in export"
expect_status 2 evlog tail "$LOG" --header =x
assert_contains "$(cat "$WORK/stderr")" "empty header name" "bad header"

# Binary payloads and keys: bytes, NULs and invalid UTF-8 included.
BIN=$WORK/bin
{
  echo '{"key":"b","payload":"AGEAYgA=","payload_encoding":"base64"}'      # \0a\0b\0
  echo '{"key":"b","payload":"//5hYg==","payload_encoding":"base64"}'      # \xff\xfe a b
  echo '{"key":"AGs=","key_encoding":"base64","payload":"text ab"}'         # key \0k
} | evlog append --json "$BIN"
assert_eq "0" "$(evlog tail "$BIN" --from beginning --grep 'a\x00b' --format '%o')" "--grep across NUL bytes"
assert_eq "1" "$(evlog tail "$BIN" --from beginning --grep '^\xff\xfe' --format '%o')" "--grep on invalid UTF-8"
assert_eq "0 1 2 " "$(evlog tail "$BIN" --from beginning --grep 'a.?b' --format '%o ')" "--grep over every payload"
assert_eq "2" "$(evlog tail "$BIN" --from beginning --key '?k' --format '%o')" "--key glob over a key with a NUL"

# A hostile payload and a catastrophically backtracking regex: bounded, reported, no crash.
HOSTILE=$WORK/hostile
{ printf 'aaaa\n'; head -c 200000 /dev/zero | tr '\0' a; printf '!\n'; printf 'aa\n'; } | evlog append "$HOSTILE"
expect_status 1 evlog tail "$HOSTILE" --from beginning --grep '(a+)+$' >/dev/null
assert_contains "$(cat "$WORK/stderr")" "gave up on 1 event (the first at offset 1)" "regex limits reported"
assert_eq "aaaa aa " "$("$EVLOG" tail "$HOSTILE" --from beginning --grep '(a+)+$' --format '%s ' 2>/dev/null || true)" \
  "the decided events are still printed"
expect_status 1 evlog export "$HOSTILE" --grep '(a+)+$' -o "$WORK/hostile.json"
[[ ! -e "$WORK/hostile.json" ]] || fail "an export with undecided events committed its file"

# -f: a follower prints only matching events as they arrive. It starts at the log's end as
# an offset: `--from end` would race the append below (a follower that starts late would
# place its end after the new events and wait forever).
next=$(($("$EVLOG" tail "$LOG" -n 1 --format '%o') + 1))
"$EVLOG" tail "$LOG" -f --from "$next" --key 'new-*' --format '%k\n' >"$WORK/follow" &
BACKGROUND_PIDS+=($!)
printf 'old:x\nnew-1:y\nother:z\nnew-2:w\n' | evlog append -K : "$LOG"
wait_for_file_content "$WORK/follow" "$(printf 'new-1\nnew-2')" 30
echo PASS
